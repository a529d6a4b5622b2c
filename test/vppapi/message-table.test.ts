// The per-connection message table: IDs both ways, and "missing" told apart from "other CRC".
import { describe, expect, it } from 'vitest';
import { MessageTable, splitNameCrc } from '../../src/vppapi/message-table.js';
import { loadCapture } from '../fakes/captures.js';

const captured = loadCapture('lb_session.json').table.map(([index, name]) => ({ index, name }));

describe('MessageTable', () => {
  const table = new MessageTable(captured);

  it('maps the captured 850 messages both ways', () => {
    expect(table.size).toBe(850);
    expect(table.idOf({ nameCrc: 'lb_add_del_as_v2_2f1d3b0e' })).toBe(99);
    expect(table.nameCrcOf(99)).toBe('lb_add_del_as_v2_2f1d3b0e');
    expect(table.nameCrcOf(0x7fff)).toBeUndefined();
  });

  it('reports missing and changed messages once each, in the order asked', () => {
    const wanted = [
      { name: 'lb_conf', crc: '0x56cd3261', nameCrc: 'lb_conf_56cd3261' },
      { name: 'lb_add_del_as_v2', crc: '0x00000001', nameCrc: 'lb_add_del_as_v2_00000001' },
      { name: 'lb_nope', crc: '0x00000002', nameCrc: 'lb_nope_00000002' },
      { name: 'lb_nope', crc: '0x00000002', nameCrc: 'lb_nope_00000002' },
    ];
    expect(table.check(wanted)).toEqual([
      { name: 'lb_add_del_as_v2', expectedCrc: '0x00000001', foundCrc: '0x2f1d3b0e' },
      { name: 'lb_nope', expectedCrc: '0x00000002', foundCrc: undefined },
    ]);
  });

  it('splits name_crc keys, including names with underscores and digits', () => {
    expect(splitNameCrc('lb_as_v2_dump_1063f819')).toEqual(['lb_as_v2_dump', '0x1063f819']);
    expect(splitNameCrc('nocrc')).toBeUndefined();
  });
});
