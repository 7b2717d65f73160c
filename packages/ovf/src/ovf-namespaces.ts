// Namespaces and format URLs of OVF 1.0 as VMware writes it, plus vmctl's own extension section.
export const NS = {
  ovf: "http://schemas.dmtf.org/ovf/envelope/1",
  rasd: "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
  vssd: "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData",
  cim: "http://schemas.dmtf.org/wbem/wscim/1/common",
  vmw: "http://www.vmware.com/schema/ovf",
  xsi: "http://www.w3.org/2001/XMLSchema-instance",
  vmctl: "urn:vmctl:ovf:1",
} as const;

export const VMDK_STREAM_OPTIMIZED = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";

/** CIM ResourceType values a VirtualHardwareSection Item carries. */
export const RESOURCE = {
  other: 1,
  cpu: 3,
  memory: 4,
  ideController: 5,
  scsiController: 6,
  ethernet: 10,
  floppy: 14,
  cdDrive: 15,
  dvdDrive: 16,
  disk: 17,
  serialPort: 21,
  usbController: 23,
  graphics: 24,
  sound: 35,
  sataController: 20,
} as const;
