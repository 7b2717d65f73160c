// The hidden files an unfinished write leaves beside its target: an upload's part file (named with
// the total it announced, so a resume can be checked against it) and writeFileAtomic's temp file.

const PART = /^\.(.+)\.vmctl-part-(\d{1,16})$/;
const ATOMIC_TEMP = /^\..+\.\d+\.\d+\.tmp$/;

export function partFileName(target: string, total: number): string {
  return `.${target}.vmctl-part-${total}`;
}

/** The target and announced total of a part file's name, or undefined for any other name. */
export function parsePartFileName(name: string): { target: string; total: number } | undefined {
  const match = PART.exec(name);
  return match ? { target: match[1]!, total: Number(match[2]) } : undefined;
}

/** Not listed by the browser, and no upload may take such a name. */
export function isHiddenTemp(name: string): boolean {
  return PART.test(name) || ATOMIC_TEMP.test(name);
}
