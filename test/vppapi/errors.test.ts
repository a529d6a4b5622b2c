// Error values: retval names from VPP's table, the caller's stack, incompatibility listing each message.
import { describe, expect, it } from 'vitest';
import {
  attachCallerStack,
  captureCallerStack,
  VppApiError,
  VppIncompatibleError,
} from '../../src/vppapi/errors.js';
import { retvalInfo, retvalName } from '../../src/vppapi/retval-names.js';

describe('retval names', () => {
  it('names the retvals the lb plugin returns', () => {
    expect(retvalName(-6)).toBe('VNET_API_ERROR_NO_SUCH_ENTRY');
    expect(retvalName(-70)).toBe('VNET_API_ERROR_INVALID_MEMORY_SIZE');
    expect(retvalName(-73)).toBe('VNET_API_ERROR_INVALID_ARGUMENT');
    expect(retvalName(-81)).toBe('VNET_API_ERROR_VALUE_EXIST');
    expect(retvalName(-97)).toBe('VNET_API_ERROR_INVALID_ADDRESS_FAMILY');
    expect(retvalName(-165)).toBe('VNET_API_ERROR_EAGAIN');
    expect(retvalInfo(-81)?.description).toBe('Value already exists');
  });

  it('says when a retval is not in the table', () => {
    expect(retvalName(-158)).toBe('UNKNOWN_RETVAL_-158');
    expect(retvalInfo(0)).toBeUndefined();
  });
});

describe('VppApiError', () => {
  it('carries retval, name, message name and context, and the caller stack', () => {
    function callerSite() {
      return captureCallerStack();
    }
    const err = attachCallerStack(new VppApiError('lb_add_del_as_v2', -81, 8), callerSite());
    expect(err).toMatchObject({
      code: 'ERR_VPP_RETVAL',
      retval: -81,
      retvalName: 'VNET_API_ERROR_VALUE_EXIST',
      messageName: 'lb_add_del_as_v2',
      context: 8,
    });
    expect(err.message).toBe(
      'lb_add_del_as_v2 failed: retval -81 VNET_API_ERROR_VALUE_EXIST (Value already exists)',
    );
    expect(err.stack).toContain('for call at');
    expect(err.stack).toContain('callerSite');
  });
});

describe('VppIncompatibleError', () => {
  it('lists every missing or changed message with expected and found CRC', () => {
    const err = new VppIncompatibleError([
      { name: 'lb_conf', expectedCrc: '0x56cd3261', foundCrc: '0x11111111' },
      { name: 'lb_add_del_as_v2', expectedCrc: '0x2f1d3b0e', foundCrc: undefined },
    ]);
    expect(err.code).toBe('ERR_VPP_INCOMPATIBLE');
    expect(err.message).toContain('lb_conf (expected crc 0x56cd3261, found 0x11111111)');
    expect(err.message).toContain('lb_add_del_as_v2 (expected crc 0x2f1d3b0e, missing)');
  });
});
