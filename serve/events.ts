// GET /campaigns/{id}/events: Server-Sent Events. The server polls the campaign's status and leaderboard
// queries (one poll loop per stream) and sends `progress` when the status changes, `trial` once for each
// trial that finished (a stream opened late first gets the ones already finished), and `end` when the
// workflow closes; a comment line every 15 s keeps proxies from closing an idle stream.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Campaigns } from './campaigns';

const KEEPALIVE_MS = 15_000;

export async function streamEvents(campaigns: Campaigns, id: string, request: FastifyRequest, reply: FastifyReply, pollMs: number): Promise<void> {
  await campaigns.status(id); // an unknown id is a 404 before the stream starts
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no', 'x-content-type-options': 'nosniff' });
  let open = true;
  request.raw.on('close', () => (open = false));
  const send = (event: string, data: unknown) => {
    if (open) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let lastProgress = '';
  const finished = new Set<number>();
  let lastWrite = Date.now();
  while (open) {
    try {
      const status = await campaigns.status(id);
      const text = JSON.stringify(status.progress);
      if (text !== lastProgress) {
        send('progress', { workflowStatus: status.workflowStatus, progress: status.progress, etaSeconds: status.etaSeconds });
        lastProgress = text;
        lastWrite = Date.now();
      }
      const rows = await campaigns.leaderboard(id).catch(() => []);
      for (const row of rows.filter((r) => r.state !== 'RUNNING' && !finished.has(r.trialNumber)).sort((a, b) => a.trialNumber - b.trialNumber)) {
        finished.add(row.trialNumber);
        send('trial', row);
        lastWrite = Date.now();
      }
      if (status.workflowStatus !== 'RUNNING') {
        send('end', { workflowStatus: status.workflowStatus });
        break;
      }
    } catch (err) {
      send('error', { error: (err as Error).message.split('\n')[0] });
      lastWrite = Date.now();
    }
    if (Date.now() - lastWrite > KEEPALIVE_MS && open) {
      raw.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  raw.end();
}
