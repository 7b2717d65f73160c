// A helper every wire file uses: a union of string literals that keeps its literal type.
import { Type, type TUnsafe } from "@sinclair/typebox";

/** A union of string literals that keeps its literal type (Type.Union over a mapped array widens to string). */
export const literalUnion = <T extends readonly string[]>(values: T, options: { description?: string } = {}): TUnsafe<T[number]> =>
  Type.Unsafe<T[number]>(Type.Union(values.map((v) => Type.Literal(v)), options));
