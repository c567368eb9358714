/** A small client for the REST API, as a user of it would write one. */
export class ApiClient {
  private token: string | undefined;

  constructor(readonly baseUrl: string) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async signup(email: string, password = 'correct horse battery'): Promise<{ id: string }> {
    const { status, body } = await this.request<{ user: { id: string }; token: string }>(
      'POST',
      '/api/auth/signup',
      {
        email,
        password,
        name: 'Test user',
      },
    );
    if (status !== 201) throw new Error(`signup failed: ${status} ${JSON.stringify(body)}`);
    this.token = body.token;
    return body.user;
  }

  async login(email: string, password = 'correct horse battery'): Promise<number> {
    const { status, body } = await this.request<{ token: string }>('POST', '/api/auth/login', {
      email,
      password,
    });
    if (status === 200) this.token = body.token;
    return status;
  }

  async createMonitor(fields: Record<string, unknown>): Promise<{ id: string }> {
    const { status, body } = await this.request<{ monitor: { id: string } }>('POST', '/api/monitor', fields);
    if (status !== 201) throw new Error(`create monitor failed: ${status} ${JSON.stringify(body)}`);
    return body.monitor;
  }

  async latest(
    monitorId: string,
  ): Promise<Array<{ location: string; status: string; reason: string | null }>> {
    const { body } = await this.request<{
      latest: Array<{ location: string; status: string; reason: string | null }>;
    }>('GET', `/api/results/${monitorId}/latest`);
    return body.latest;
  }
}
