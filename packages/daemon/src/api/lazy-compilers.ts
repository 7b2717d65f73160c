// Route schemas compiled when first used, or in the background once vmctld listens, not before it
// answers: Fastify compiles every validator (ajv) and every response serializer (fast-json-stringify)
// at ready, which was about a second of vmctld's start (0.6 s ajv, 0.35 s fast-json-stringify of
// 3.2 s to /healthz in a CPU profile). The compilers are Fastify's own, with the same options.
import AjvCompiler from "@fastify/ajv-compiler";
import SerializerSelector from "@fastify/fast-json-stringify-compiler";

type Compiled = ((...args: unknown[]) => unknown) & { errors?: unknown };

/** Compilations not yet run: warmCompilers() works through them, a request's first use runs its own. */
const pending = new Set<() => void>();

/** A function that compiles itself on its first call (validators: their `errors` are copied back, Fastify reads them). */
function lazy(compile: () => Compiled): Compiled {
  let compiled: Compiled | undefined;
  const ensure = (): Compiled => {
    if (!compiled) {
      compiled = compile();
      pending.delete(ensure);
    }
    return compiled;
  };
  pending.add(ensure);
  const call: Compiled = (...args: unknown[]) => {
    const target = ensure();
    const result = target(...args);
    call.errors = target.errors;
    return result;
  };
  return call;
}

type ValidatorFactory = ReturnType<typeof AjvCompiler>;
type SerializerFactory = ReturnType<typeof SerializerSelector>;

const buildValidator: ValidatorFactory = (externalSchemas, options) => {
  const compiler = AjvCompiler()(externalSchemas, options);
  return ((route: Parameters<typeof compiler>[0]) => lazy(() => compiler(route) as unknown as Compiled)) as unknown as typeof compiler;
};

const buildSerializer: SerializerFactory = (externalSchemas, options) => {
  const compiler = SerializerSelector()(externalSchemas, options);
  return ((route: Parameters<typeof compiler>[0]) => lazy(() => compiler(route) as unknown as Compiled)) as unknown as typeof compiler;
};

/** Fastify's `schemaController` option. */
export const lazySchemaController = { compilersFactory: { buildValidator, buildSerializer } };

/**
 * Compiles what no request has needed yet, one schema per turn of the event loop, so requests keep
 * being answered meanwhile; a schema that does not compile fails here, soon after the start, as it
 * did at ready before. Resolves when none is left.
 */
export async function warmCompilers(): Promise<number> {
  let count = 0;
  for (;;) {
    const next = pending.values().next();
    if (next.done) return count;
    next.value();
    count++;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
