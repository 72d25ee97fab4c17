/**
 * Boot keyboard report descriptor: Device Class Definition for HID 1.11, Appendix B.1 ("Protocol 1
 * (Keyboard)"), the example descriptor of §E.6, 63 bytes. Input report (8 bytes): modifier bits for usages
 * 0xE0–0xE7, a reserved byte, a 6-key array of usages 0x00–0x65. Output report (1 byte): 5 LED bits (Num
 * Lock … Kana) and 3 bits of padding. Cross-checked in part: the `HIDKeyboardDescriptor` of Apple's IOHIDFamily
 * unit tests (apple-open-source/macos, IOHIDFamily/IOHIDFamilyUnitTests/IOHIDUnitTestDescriptors.h) opens
 * with the same items, as far as it was read (through the reserved byte).
 */
// prettier-ignore
export const BOOT_KEYBOARD_DESCRIPTOR: Uint8Array = Uint8Array.of(
  0x05, 0x01,         // Usage Page (Generic Desktop)
  0x09, 0x06,         // Usage (Keyboard)
  0xa1, 0x01,         // Collection (Application)
  0x05, 0x07,         // Usage Page (Keyboard/Keypad)
  0x19, 0xe0,         // Usage Minimum (Left Control)
  0x29, 0xe7,         // Usage Maximum (Right GUI)
  0x15, 0x00,         // Logical Minimum (0)
  0x25, 0x01,         // Logical Maximum (1)
  0x75, 0x01,         // Report Size (1)
  0x95, 0x08,         // Report Count (8)
  0x81, 0x02,         // Input (Data, Variable, Absolute) — modifier byte
  0x95, 0x01,         // Report Count (1)
  0x75, 0x08,         // Report Size (8)
  0x81, 0x01,         // Input (Constant) — reserved byte
  0x95, 0x05,         // Report Count (5)
  0x75, 0x01,         // Report Size (1)
  0x05, 0x08,         // Usage Page (LEDs)
  0x19, 0x01,         // Usage Minimum (Num Lock)
  0x29, 0x05,         // Usage Maximum (Kana)
  0x91, 0x02,         // Output (Data, Variable, Absolute) — LED report
  0x95, 0x01,         // Report Count (1)
  0x75, 0x03,         // Report Size (3)
  0x91, 0x01,         // Output (Constant) — LED report padding
  0x95, 0x06,         // Report Count (6)
  0x75, 0x08,         // Report Size (8)
  0x15, 0x00,         // Logical Minimum (0)
  0x25, 0x65,         // Logical Maximum (101)
  0x05, 0x07,         // Usage Page (Keyboard/Keypad)
  0x19, 0x00,         // Usage Minimum (Reserved, no event indicated)
  0x29, 0x65,         // Usage Maximum (Keyboard Application)
  0x81, 0x00,         // Input (Data, Array) — key array (6 bytes)
  0xc0,               // End Collection
);
