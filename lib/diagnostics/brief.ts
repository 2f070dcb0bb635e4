// A brief record: only the TCP_INFO fields `inspect` shows, read with the
// shared slot reader; cheaper by far than the whole record when there are
// thousands.
import { binding } from '../native';
import { slotReader } from '../slot-reader';
import type { TcpInfo } from '../types';
import type { SocketRecord } from './records';

/** The TCP_INFO fields `inspect` shows: a brief record decodes only these. */
export type BriefTcpInfo = Pick<TcpInfo, 'state' | 'probes' | 'unacked' | 'lastAckRecv' | 'lastDataRecv'>;

/** A record with only the brief TCP_INFO: cheaper by far when there are thousands. */
export type SocketBrief = Omit<SocketRecord, 'info'> & { readonly info: BriefTcpInfo };

const BRIEF_FIELDS: readonly (keyof BriefTcpInfo)[] = ['state', 'probes', 'unacked', 'lastAckRecv', 'lastDataRecv'];
export const readBriefTcpInfo = slotReader<BriefTcpInfo>(
  BRIEF_FIELDS,
  BRIEF_FIELDS.map((name) => (name === 'state' ? 'state' : 'nullable')),
  binding.tcpStates,
  BRIEF_FIELDS.map((name) => binding.tcpInfoFields.indexOf(name)),
);
