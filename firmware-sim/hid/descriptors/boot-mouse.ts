/**
 * Boot mouse report descriptor: Device Class Definition for HID 1.11, Appendix B.2 ("Protocol 2 (Mouse)"),
 * 50 bytes. Input report (3 bytes): buttons 1–3 in bits 0–2, 5 bits of padding, X and Y as signed relative
 * bytes (−127..127).
 */
// prettier-ignore
export const BOOT_MOUSE_DESCRIPTOR: Uint8Array = Uint8Array.of(
  0x05, 0x01,         // Usage Page (Generic Desktop)
  0x09, 0x02,         // Usage (Mouse)
  0xa1, 0x01,         // Collection (Application)
  0x09, 0x01,         // Usage (Pointer)
  0xa1, 0x00,         // Collection (Physical)
  0x05, 0x09,         // Usage Page (Button)
  0x19, 0x01,         // Usage Minimum (Button 1)
  0x29, 0x03,         // Usage Maximum (Button 3)
  0x15, 0x00,         // Logical Minimum (0)
  0x25, 0x01,         // Logical Maximum (1)
  0x95, 0x03,         // Report Count (3)
  0x75, 0x01,         // Report Size (1)
  0x81, 0x02,         // Input (Data, Variable, Absolute) — 3 buttons
  0x95, 0x01,         // Report Count (1)
  0x75, 0x05,         // Report Size (5)
  0x81, 0x01,         // Input (Constant) — padding
  0x05, 0x01,         // Usage Page (Generic Desktop)
  0x09, 0x30,         // Usage (X)
  0x09, 0x31,         // Usage (Y)
  0x15, 0x81,         // Logical Minimum (−127)
  0x25, 0x7f,         // Logical Maximum (127)
  0x75, 0x08,         // Report Size (8)
  0x95, 0x02,         // Report Count (2)
  0x81, 0x06,         // Input (Data, Variable, Relative) — X, Y
  0xc0,               // End Collection
  0xc0,               // End Collection
);
