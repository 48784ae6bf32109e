/** Starting and stopping the emulators' servers (HTTP or plain TCP) on loopback or another local address. */
import type { AddressInfo, Server } from 'net';

/**
 * Listen on `address` (port 0 = any free port); resolves to "host:port", an IPv6 address in brackets
 * ("[::1]:<port>"). Rejects (e.g. EADDRNOTAVAIL) when the address is not available.
 */
export async function listen(server: Server, port: number, address: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => resolve());
  });
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${(server.address() as AddressInfo).port}`;
}

/** Stop accepting connections; resolves once the server has closed (at once without a server). */
export async function closeServer(server: Server | null | undefined): Promise<void> {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
}
