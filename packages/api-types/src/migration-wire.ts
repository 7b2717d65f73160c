// Wire types of a host's migration routes (/api/v1/migrations/..., /api/v1/vms/{name}/migrate-out): vmcenter drives them.
export {};
