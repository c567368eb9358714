import { createSocket, type Socket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packet from 'dns-packet';
import { probe } from '../src/index.js';
import { parseResolver } from '../src/kinds/dns.js';

/** Answers by name: each record type of good.test, and a way to fail for each failing name. */
const ZONE: Record<string, packet.Answer[]> = {
  'A good.test': [
    { type: 'A', name: 'good.test', ttl: 60, data: '192.0.2.1' },
    { type: 'A', name: 'good.test', ttl: 60, data: '192.0.2.2' },
  ],
  'AAAA good.test': [{ type: 'AAAA', name: 'good.test', ttl: 60, data: '2001:db8::1' }],
  'CNAME www.good.test': [{ type: 'CNAME', name: 'www.good.test', ttl: 60, data: 'good.test' }],
  'MX good.test': [
    { type: 'MX', name: 'good.test', ttl: 60, data: { preference: 10, exchange: 'mail.good.test' } },
  ],
  'TXT good.test': [{ type: 'TXT', name: 'good.test', ttl: 60, data: ['v=spf1 ', '-all'] }],
  'NS good.test': [{ type: 'NS', name: 'good.test', ttl: 60, data: 'ns1.good.test' }],
  'SOA good.test': [
    {
      type: 'SOA',
      name: 'good.test',
      ttl: 60,
      data: {
        mname: 'ns1.good.test',
        rname: 'admin.good.test',
        serial: 2026120301,
        refresh: 3600,
        retry: 600,
        expire: 86400,
        minimum: 60,
      },
    },
  ],
  'CAA good.test': [
    { type: 'CAA', name: 'good.test', ttl: 60, data: { flags: 0, tag: 'issue', value: 'letsencrypt.org' } },
  ],
};

describe('dns prober', () => {
  let server: Socket;
  let resolver: string;
  let queries = 0;

  beforeAll(async () => {
    server = createSocket('udp4');
    server.on('message', (message, peer) => {
      queries++;
      const query = packet.decode(message);
      const question = query.questions![0]!;
      if (question.name === 'silent.test') return;
      const answers = ZONE[`${question.type} ${question.name}`] ?? [];
      // dns-packet takes the response code from the low four bits of the flags.
      const rcode = question.name === 'broken.test' ? 2 : question.name.endsWith('good.test') ? 0 : 3;
      const response = packet.encode({
        id: query.id,
        type: 'response',
        flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | packet.AUTHORITATIVE_ANSWER | rcode,
        questions: query.questions,
        answers,
      });
      server.send(response, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    resolver = `127.0.0.1:${server.address().port}`;
  });
  afterAll(() => server.close());

  const options = { timeoutMs: 1_000, allowPrivateTargets: true };
  const query = (fields: Record<string, unknown>) =>
    probe(
      'dns',
      { hostname: 'good.test', recordType: 'A', resolver, expected: [], match: 'any', ...fields },
      options,
    );

  it.each([
    ['A', 'good.test', ['192.0.2.1', '192.0.2.2']],
    ['AAAA', 'good.test', ['2001:db8::1']],
    ['CNAME', 'www.good.test', ['good.test']],
    ['MX', 'good.test', ['10 mail.good.test']],
    ['TXT', 'good.test', ['v=spf1 -all']],
    ['NS', 'good.test', ['ns1.good.test']],
    ['SOA', 'good.test', ['ns1.good.test admin.good.test 2026120301 3600 600 86400 60']],
    ['CAA', 'good.test', ['0 issue "letsencrypt.org"']],
  ])('answers %s for %s and records the answers', async (recordType, hostname, answers) => {
    const outcome = await query({ recordType, hostname, expected: [answers[0]] });
    expect(outcome).toMatchObject({ status: 'Up', reason: null, details: { answers } });
    expect(outcome.timings.dnsMs).toBeGreaterThanOrEqual(0);
  });

  it('matches any or all of the expected values, ignoring case and a final dot', async () => {
    expect(await query({ expected: ['192.0.2.9', '192.0.2.2'], match: 'any' })).toMatchObject({
      status: 'Up',
    });
    expect(await query({ expected: ['192.0.2.1', '192.0.2.2'], match: 'all' })).toMatchObject({
      status: 'Up',
    });
    expect(await query({ recordType: 'MX', expected: ['10 MAIL.good.test.'] })).toMatchObject({
      status: 'Up',
    });
    const missing = await query({ expected: ['192.0.2.1', '192.0.2.9'], match: 'all' });
    expect(missing).toMatchObject({
      status: 'Down',
      reason: 'assertion',
      details: { answers: ['192.0.2.1', '192.0.2.2'] },
    });
    expect(missing.message).toContain('192.0.2.9');
  });

  it('fails in each way a resolver can', async () => {
    expect(await query({ hostname: 'nothing.test' })).toMatchObject({
      status: 'Down',
      reason: 'dns',
      message: `nothing.test does not exist (NXDOMAIN from ${resolver})`,
    });
    expect(await query({ recordType: 'AAAA', hostname: 'www.good.test' })).toMatchObject({
      reason: 'dns',
      message: `www.good.test has no AAAA record (${resolver})`,
    });
    expect(await query({ hostname: 'broken.test' })).toMatchObject({
      reason: 'dns',
      message: expect.stringMatching(/SERVFAIL/),
    });
    const before = queries;
    const silent = await probe(
      'dns',
      { hostname: 'silent.test', recordType: 'A', resolver, expected: [], match: 'any' },
      { ...options, timeoutMs: 300 },
    );
    expect(silent).toMatchObject({ status: 'Down', reason: 'timeout' });
    expect(queries).toBeGreaterThan(before);
  });

  it('refuses a private resolver unless private targets are allowed', async () => {
    const outcome = await probe(
      'dns',
      { hostname: 'good.test', recordType: 'A', resolver, expected: [], match: 'any' },
      { ...options, allowPrivateTargets: false },
    );
    expect(outcome).toMatchObject({ status: 'Down', reason: 'connect' });
  });

  it('reads resolver addresses', () => {
    expect(parseResolver('127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseResolver('192.0.2.1')).toEqual({ host: '192.0.2.1', port: 53 });
    expect(parseResolver('[::1]:53')).toEqual({ host: '::1', port: 53 });
    expect(parseResolver('2001:db8::1')).toEqual({ host: '2001:db8::1', port: 53 });
    expect(parseResolver('dns.example:53')).toBeNull();
    expect(parseResolver('127.0.0.1:70000')).toBeNull();
  });
});
