import { createServer, type Server } from 'node:net';
import { ephemeralRange, freePort, parseEphemeralRange, rangeOutside } from '../../src/net';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('choosing a free port for a server started a moment later', () => {
  it('reads the kernel ephemeral range and refuses text that is not one', () => {
    expect(parseEphemeralRange('32768\t60999\n')).toEqual({ low: 32768, high: 60999 });
    expect(parseEphemeralRange('1024 65535')).toEqual({ low: 1024, high: 65535 });
    expect(parseEphemeralRange('')).toBeUndefined();
    expect(parseEphemeralRange('60999 32768')).toBeUndefined();
    expect(parseEphemeralRange('32768')).toBeUndefined();
    expect(parseEphemeralRange('0 70000')).toBeUndefined();
  });

  it('chooses from the larger stretch outside the ephemeral range and above the Temporal server\'s ports, or nowhere when too little is left', () => {
    expect(rangeOutside({ low: 32768, high: 60999 })).toEqual({ low: 61000, high: 65535 });
    expect(rangeOutside({ low: 49152, high: 65535 })).toEqual({ low: 32768, high: 49151 });
    expect(rangeOutside({ low: 10000, high: 40000 })).toEqual({ low: 40001, high: 65535 });
    expect(rangeOutside({ low: 1024, high: 65000 })).toBeUndefined();
  });

  it('hands out ports outside this machine\'s ephemeral range that a server can bind, never the same one twice', async () => {
    const ephemeral = ephemeralRange();
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(20);
    for (const port of ports) {
      expect(port < ephemeral.low || port > ephemeral.high).toBe(true);
      expect(port).toBeGreaterThan(32_767); // never where the Temporal server's ports are chosen
    }
    const servers = await Promise.all(ports.map(listen));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('does not hand out a port something already listens on', async () => {
    const range = rangeOutside(ephemeralRange())!;
    // Occupy a window of 1,000 ports and ask 200 times: with Linux's default range (4,536 ports
    // left above it) some 40 of the random picks land in the window, and none of them may come back.
    const taken: Server[] = [];
    for (let port = range.low; port < range.low + 1_000; port++) {
      try {
        taken.push(await listen(port));
      } catch {
        // in use already, which serves as well
      }
    }
    try {
      const takenPorts = new Set(taken.map((s) => (s.address() as { port: number }).port));
      for (let i = 0; i < 200; i++) expect(takenPorts.has(await freePort())).toBe(false);
    } finally {
      await Promise.all(taken.map((s) => new Promise((r) => s.close(r))));
    }
  });
});
