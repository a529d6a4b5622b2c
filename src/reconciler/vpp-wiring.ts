// Wiring from the VPP client's connection states to the reconciler's vppConnected/vppDisconnected.

/** The part of vppapi's VppClient this needs (kept structural: the reconciler does not import vppapi). */
export interface VppStateSource {
  readonly state: string;
  onState(listener: (e: { readonly state: string; readonly previous: string }) => void): () => void;
}

/** The part of the Reconciler this drives. */
export interface VppStateSink {
  vppConnected(): void;
  vppDisconnected(): void;
}

/**
 * followVppState tells `sink` when VPP becomes usable and when it stops being so. Only `connected` is
 * usable: `incompatible` (a message the daemon needs is missing or has another CRC) is treated as not
 * connected, so the daemon never programs a VPP it cannot speak to correctly (spec §7). Every connect is
 * reported, also one straight after another (a VPP restart the client saw as one reconnect), since the
 * message IDs and lb state may both be new. Returns a function that stops following.
 */
export function followVppState(source: VppStateSource, sink: VppStateSink): () => void {
  let usable = false;
  const update = (state: string): void => {
    if (state === 'connected') {
      usable = true;
      sink.vppConnected();
    } else if (usable) {
      usable = false;
      sink.vppDisconnected();
    }
  };
  const off = source.onState((e) => update(e.state));
  if (source.state === 'connected') update('connected');
  return off;
}
