/**
 * Eight one-bit fields with only seven usages, the case PROTOCOLS.md reports from a real scanner
 * descriptor (whose bytes we do not have). Written for benchtwin: by HID 1.11 §6.2.2.8 the last usage
 * (Button 7) applies to the eighth field too. Input report (1 byte, no report ID).
 */
// prettier-ignore
export const SEVEN_USAGES_DESCRIPTOR: Uint8Array = Uint8Array.of(
  0x05, 0x01,         // Usage Page (Generic Desktop)
  0x09, 0x05,         // Usage (Game Pad)
  0xa1, 0x01,         // Collection (Application)
  0x05, 0x09,         // Usage Page (Button)
  0x09, 0x01,         // Usage (Button 1)
  0x09, 0x02,         // Usage (Button 2)
  0x09, 0x03,         // Usage (Button 3)
  0x09, 0x04,         // Usage (Button 4)
  0x09, 0x05,         // Usage (Button 5)
  0x09, 0x06,         // Usage (Button 6)
  0x09, 0x07,         // Usage (Button 7)
  0x15, 0x00,         // Logical Minimum (0)
  0x25, 0x01,         // Logical Maximum (1)
  0x75, 0x01,         // Report Size (1)
  0x95, 0x08,         // Report Count (8)
  0x81, 0x02,         // Input (Data, Variable, Absolute)
  0xc0,               // End Collection
);
