// Public API of @vmctl/guest: the demo/test guest (Debian cloud kernel + busybox initramfs).
export { GUEST_CMDLINE, GUEST_DISK_FILE, GUEST_PROMPT, GUEST_READY_LINE } from "./constants.js";
export { buildGuest, defaultGuestDir, type BuildGuestOptions, type GuestImage } from "./build.js";
export { buildDebianGuest, defaultDebianDir, type BuildDebianOptions, type DebianGuestImage } from "./debian-build.js";
export { makeSeedIso, renderMetaData, renderUserData, renderNetworkConfig, validateSeed, type SeedConfig, type SeedUser } from "./cloud-init-seed.js";
