/** IMEI check digit (3GPP TS 23.003 §6.2.1 annex B): the Luhn sum over the 14 digits TAC ‖ SNR. */
export function imeiCheckDigit(fourteen: string): number {
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    let d = fourteen.charCodeAt(i) - 48;
    // Every second digit from the left (positions 2, 4, …) is doubled.
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** True for 15 digits whose last one is the check digit of the first 14. */
export function isValidImei(imei: string): boolean {
  return /^\d{15}$/.test(imei) && imeiCheckDigit(imei.slice(0, 14)) === imei.charCodeAt(14) - 48;
}
