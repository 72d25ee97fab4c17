/**
 * A HID POS barcode scanner (usage page 0x8C), written for benchtwin from the HID Usage Tables 1.5
 * (Barcode Scanner page) in the common layout PROTOCOLS.md describes (Honeywell-style HID POS). It is not
 * a vendor's descriptor: drivers must find fields by usage, and this one lets tests prove it.
 *
 * Input report 2, 64 bytes:
 *   [02][count 0–56][AIM id: Symbology Identifier 1–3][Decoded Data × 56][vendor code id][reserved]
 *   [bit 0: Decode Data Continued, bits 1–7 padding]
 * The count and the vendor code ID have no Barcode Scanner usage: they use vendor-defined page 0xFF00
 * (usages 0x01 and 0x02). The 56 data bytes are one Decoded Data usage repeated (last usage repeats) and
 * flagged Buffered Bytes.
 * Output report 4, 2 bytes: [04][bit 0 Initiate Barcode Read, bit 1 Prevent Read of Barcodes, bit 2 Good
 * Read Indication (beep), bit 3 Error Indication, bits 4–7 padding].
 */
export const HID_POS_SCANNER_REPORT_ID = 2;
export const HID_POS_TRIGGER_REPORT_ID = 4;
/** Vendor-defined usages of this descriptor (page 0xFF00). */
export const HID_POS_VENDOR_DATA_LENGTH = 0xff000001;
export const HID_POS_VENDOR_CODE_ID = 0xff000002;

// prettier-ignore
export const HID_POS_SCANNER_DESCRIPTOR: Uint8Array = Uint8Array.of(
  0x05, 0x8c,         // Usage Page (Barcode Scanner)
  0x09, 0x02,         // Usage (Barcode Scanner)
  0xa1, 0x01,         // Collection (Application)
  0x09, 0x12,         // Usage (Scanned Data Report)
  0xa1, 0x02,         // Collection (Logical)
  0x85, 0x02,         // Report ID (2)
  0x15, 0x00,         // Logical Minimum (0)
  0x26, 0xff, 0x00,   // Logical Maximum (255)
  0x75, 0x08,         // Report Size (8)
  0x95, 0x01,         // Report Count (1)
  0x06, 0x00, 0xff,   // Usage Page (Vendor 0xFF00)
  0x09, 0x01,         // Usage (vendor 1: decoded data length)
  0x81, 0x02,         // Input (Data, Variable, Absolute) — count
  0x05, 0x8c,         // Usage Page (Barcode Scanner)
  0x09, 0xfb,         // Usage (Symbology Identifier 1)
  0x09, 0xfc,         // Usage (Symbology Identifier 2)
  0x09, 0xfd,         // Usage (Symbology Identifier 3)
  0x95, 0x03,         // Report Count (3)
  0x81, 0x02,         // Input (Data, Variable, Absolute) — AIM identifier
  0x09, 0xfe,         // Usage (Decoded Data)
  0x95, 0x38,         // Report Count (56)
  0x82, 0x02, 0x01,   // Input (Data, Variable, Absolute, Buffered Bytes) — data
  0x06, 0x00, 0xff,   // Usage Page (Vendor 0xFF00)
  0x09, 0x02,         // Usage (vendor 2: vendor code identifier)
  0x95, 0x01,         // Report Count (1)
  0x81, 0x02,         // Input (Data, Variable, Absolute) — vendor code id
  0x81, 0x03,         // Input (Constant, Variable) — reserved byte
  0x05, 0x8c,         // Usage Page (Barcode Scanner)
  0x09, 0xff,         // Usage (Decode Data Continued)
  0x25, 0x01,         // Logical Maximum (1)
  0x75, 0x01,         // Report Size (1)
  0x81, 0x02,         // Input (Data, Variable, Absolute) — continued flag
  0x95, 0x07,         // Report Count (7)
  0x81, 0x03,         // Input (Constant, Variable) — padding
  0xc0,               // End Collection
  0x09, 0x14,         // Usage (Trigger Report)
  0xa1, 0x02,         // Collection (Logical)
  0x85, 0x04,         // Report ID (4)
  0x09, 0x60,         // Usage (Initiate Barcode Read)
  0x09, 0x5f,         // Usage (Prevent Read of Barcodes)
  0x09, 0x86,         // Usage (Good Read Indication)
  0x09, 0x85,         // Usage (Error Indication)
  0x95, 0x04,         // Report Count (4)
  0x91, 0x02,         // Output (Data, Variable, Absolute)
  0x91, 0x03,         // Output (Constant, Variable) — padding, 4 × 1 bit
  0xc0,               // End Collection
  0xc0,               // End Collection
);
