// A TCP proxy on 127.0.0.1 that can cut every connection through it and refuse new ones for a
// while: a network outage between NATS clients and their server, with the server itself intact.
import type { Socket, TCPSocketListener } from "bun";

export interface TcpProxy {
  port: number;
  /** Drop every connection now and refuse connections for `ms`. */
  cut(ms: number): void;
  /** Connections dropped so far. */
  readonly dropped: number;
  stop(): void;
}

type Side = { peer: Socket<Side> | null; pending: Uint8Array[]; queue: Uint8Array[] };

/** Write all of `chunk`, keeping what the socket did not take for its drain. */
function send(to: Socket<Side>, chunk: Uint8Array): void {
  if (to.data.queue.length) return void to.data.queue.push(new Uint8Array(chunk));
  const n = to.write(chunk);
  if (n < chunk.length) to.data.queue.push(new Uint8Array(chunk.subarray(Math.max(0, n))));
}

function drain(s: Socket<Side>): void {
  while (s.data.queue.length) {
    const b = s.data.queue[0]!;
    const n = s.write(b);
    if (n < b.length) {
      s.data.queue[0] = b.subarray(Math.max(0, n));
      return;
    }
    s.data.queue.shift();
  }
}

export function tcpProxy(targetPort: number): TcpProxy {
  const live = new Set<Socket<Side>>();
  let refuseUntil = 0;
  let dropped = 0;
  const listener: TCPSocketListener<Side> = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        if (Date.now() < refuseUntil) return void client.end();
        client.data = { peer: null, pending: [], queue: [] };
        live.add(client);
        void Bun.connect<Side>({
          hostname: "127.0.0.1",
          port: targetPort,
          data: { peer: client, pending: [], queue: [] },
          socket: {
            open(server) {
              live.add(server);
              client.data.peer = server;
              for (const b of client.data.pending.splice(0)) send(server, b);
            },
            data(server, chunk) {
              if (server.data.peer) send(server.data.peer, chunk);
            },
            drain,
            close(server) {
              live.delete(server);
              server.data.peer?.end();
            },
            error() {},
            connectError() {
              client.end();
            },
          },
        });
      },
      data(client, chunk) {
        if (client.data.peer) send(client.data.peer, chunk);
        else client.data.pending.push(new Uint8Array(chunk));
      },
      drain,
      close(client) {
        live.delete(client);
        client.data.peer?.end();
      },
      error() {},
    },
  });
  return {
    port: listener.port,
    cut(ms) {
      refuseUntil = Date.now() + ms;
      for (const s of [...live]) {
        dropped++;
        s.terminate();
      }
      live.clear();
    },
    get dropped() {
      return dropped;
    },
    stop() {
      for (const s of live) s.terminate();
      listener.stop(true);
    },
  };
}
