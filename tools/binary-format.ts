// What a built addon is, read from its own header rather than from its name:
// the object format (ELF, Mach-O, PE), the platform and architecture in
// Node's words (linux/darwin/win32, x64/arm64), and for Mach-O the load
// commands (LC_CODE_SIGNATURE: Apple silicon refuses unsigned code). Pure
// TypeScript, so that the check runs on every OS the release workflow uses.
import fs from 'node:fs';

export interface BinaryInfo {
  format: 'ELF' | 'Mach-O' | 'PE';
  platform: 'linux' | 'darwin' | 'win32';
  arch: string;
  /** A shared object / dylib / DLL, as an addon must be. */
  shared: boolean;
  /** Mach-O load command numbers, in file order. */
  loadCommands: number[];
}

export const LC_CODE_SIGNATURE = 0x1d;

const ELF_MACHINES: Record<number, string> = { 62: 'x64', 183: 'arm64', 3: 'ia32', 40: 'arm' };
const MACHO_CPUS: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64' };
const PE_MACHINES: Record<number, string> = { 0x8664: 'x64', 0xaa64: 'arm64', 0x14c: 'ia32' };
const ET_DYN = 3;
const MH_DYLIB = 6;
const MH_BUNDLE = 8;
const IMAGE_FILE_DLL = 0x2000;

export function describeBinary(file: string): BinaryInfo {
  const bytes = fs.readFileSync(file);
  const name = (table: Record<number, string>, value: number) => table[value] ?? `unknown (0x${value.toString(16)})`;
  if (bytes.readUInt32BE(0) === 0x7f454c46) {
    // Little-endian ELF64 (EI_DATA 1) is all Node ships for these targets.
    if (bytes[4] !== 2 || bytes[5] !== 1) throw new Error(`${file}: not a little-endian 64-bit ELF`);
    return {
      format: 'ELF',
      platform: 'linux',
      arch: name(ELF_MACHINES, bytes.readUInt16LE(18)),
      shared: bytes.readUInt16LE(16) === ET_DYN,
      loadCommands: [],
    };
  }
  if (bytes.readUInt32LE(0) === 0xfeedfacf) {
    const fileType = bytes.readUInt32LE(12);
    const count = bytes.readUInt32LE(16);
    const loadCommands: number[] = [];
    for (let offset = 32, i = 0; i < count; i++) {
      loadCommands.push(bytes.readUInt32LE(offset));
      offset += bytes.readUInt32LE(offset + 4);
    }
    return {
      format: 'Mach-O',
      platform: 'darwin',
      arch: name(MACHO_CPUS, bytes.readUInt32LE(4)),
      shared: fileType === MH_DYLIB || fileType === MH_BUNDLE,
      loadCommands,
    };
  }
  if (bytes.readUInt16LE(0) === 0x5a4d) {
    const pe = bytes.readUInt32LE(0x3c);
    if (bytes.readUInt32LE(pe) !== 0x00004550) throw new Error(`${file}: MZ header without a PE header`);
    return {
      format: 'PE',
      platform: 'win32',
      arch: name(PE_MACHINES, bytes.readUInt16LE(pe + 4)),
      shared: (bytes.readUInt16LE(pe + 22) & IMAGE_FILE_DLL) !== 0,
      loadCommands: [],
    };
  }
  throw new Error(`${file}: neither ELF, Mach-O nor PE`);
}
