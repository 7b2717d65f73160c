// The one dynamic import of everything after login, shared so that warming it up early (while the
// user types their name) and rendering it fetch the same chunk once; a failed fetch is tried again.
let loading: Promise<typeof import("./host-app")> | undefined;
export const loadHostApp = () => (loading ??= import("./host-app").catch((error: unknown) => { loading = undefined; throw error; }));
