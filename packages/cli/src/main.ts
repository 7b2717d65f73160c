#!/usr/bin/env node
// vmctl as dist/main.js, for whatever runs that path (the system tests, scripts): main.cts is the
// entry point, CommonJS so that a bundled command never starts Node's ES module loader.
import "./main.cjs";
