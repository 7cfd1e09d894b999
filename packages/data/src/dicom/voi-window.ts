/**
 * A VOI (value of interest) window: modality values (Hounsfield units for CT) in [center − width/2, center + width/2]
 * map linearly onto the 8-bit display range, as DICOM's LINEAR function (PS3.3 C.11.2.1.2).
 */
export interface WindowLevel {
  readonly center: number;
  readonly width: number;
}

/** Named CT windows (centre / width in Hounsfield units), as radiology viewers ship them. */
export const windowPresets = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 50, width: 350 },
  abdomen: { center: 40, width: 400 },
  liver: { center: 60, width: 160 },
  brain: { center: 40, width: 80 },
  bone: { center: 400, width: 1800 },
} as const satisfies Record<string, WindowLevel>;
export type WindowPreset = keyof typeof windowPresets;

/**
 * Which window a DICOM image is shown through: `file` (the first Window Center / Width in the file, else `range`),
 * `range` (the frame's own minimum to maximum), a preset name, or an explicit centre and width.
 */
export type DicomWindow = 'file' | 'range' | WindowPreset | WindowLevel;

/**
 * Parses a window given on a command line: a preset name, `range`, `file`, or `C,W` (`-600,1500`).
 * @returns undefined when the text is none of these
 */
export function parseDicomWindow(text: string): DicomWindow | undefined {
  if (text === 'file' || text === 'range') return text;
  if (text in windowPresets) return text as WindowPreset;
  const match = /^(-?\d+(?:\.\d+)?),(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!match) return undefined;
  const width = Number(match[2]);
  return width >= 1 ? { center: Number(match[1]), width } : undefined;
}

/**
 * Maps modality values to 8 bits through `window` (DICOM's LINEAR VOI function), inverting for MONOCHROME1 (where
 * the lowest value is white).
 */
export function applyWindow(values: Float64Array, window: WindowLevel, invert: boolean): Uint8Array {
  const { center, width } = window;
  const low = center - 0.5 - (width - 1) / 2;
  const high = center - 0.5 + (width - 1) / 2;
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const y = x <= low ? 0 : x > high ? 255 : ((x - (center - 0.5)) / (width - 1) + 0.5) * 255;
    const byte = Math.round(Math.min(255, Math.max(0, y)));
    out[i] = invert ? 255 - byte : byte;
  }
  return out;
}

/** The window spanning `values` from their minimum to their maximum (width ≥ 1). */
export function rangeWindow(values: Float64Array): WindowLevel {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  if (!Number.isFinite(min)) return { center: 0, width: 1 };
  return { center: (min + max + 1) / 2, width: Math.max(1, max - min + 1) };
}
