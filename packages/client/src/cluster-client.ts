// The cluster API of vmcenter and the host-side migration routes it drives, for the CLI, the Host Client and vmcenter itself.
export {};
