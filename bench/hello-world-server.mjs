// Baseline for the benchmarks: a bare Fastify 5 server, no plugins, answering GET / with {hello:'world'}
// and POST /echo (JSON up to 64 MB) with the byte count of the body it parsed.
// PORT (default 18399) and HOST (default 127.0.0.1) from the environment.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.post('/echo', { bodyLimit: 64 * 1024 * 1024 }, async (request) => ({
  bytes: Number(request.headers['content-length'] ?? 0),
}));

const shutdown = () => app.close().then(() => process.exit(0));
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

await app.listen({ host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 18399) });
