import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ProbeInfo } from '../api.js';
import { useTitle } from '../announcer.js';
import { ConfirmDeleteDialog } from '../components/confirm-dialog.js';
import { FormError, InputField } from '../components/field.js';
import { PageHeading, ShownOnce } from '../components/layout.js';
import { formatTime } from '../format.js';
import { messageOf } from '../forms.js';
import { ColumnHeads, RowButton } from '../components/table.js';

const REFRESH_MS = 10_000;

/**
 * Remote probes (administrators): the list with each probe's connection, clock and pace; a form to create
 * one, whose token is shown once with the command to run it; revoking.
 */
export function ProbesPage() {
  useTitle('Probes');
  const [probes, setProbes] = useState<ProbeInfo[] | null>(null);
  const [name, setName] = useState('');
  const [region, setRegion] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [error, setError] = useState('');
  const load = () =>
    api.probes().then(
      (r) => setProbes(r.probes),
      (e: unknown) => setError(messageOf(e)),
    );
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const create = async (event: Event) => {
    event.preventDefault();
    setError('');
    try {
      const { token } = await api.createProbe(name, region);
      setCreated(token);
      setName('');
      setRegion('');
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const dialog = useRef<HTMLDialogElement>(null);
  const [revoking, setRevoking] = useState<ProbeInfo | null>(null);
  const revoke = async () => {
    if (!revoking) return;
    await api.revokeProbe(revoking.id);
    await load();
  };

  return (
    <>
      <PageHeading title="Probes" />
      <section class="card form" aria-labelledby="new-probe-heading">
        <h2 id="new-probe-heading">New probe</h2>
        <p class="muted">
          A probe runs a region's checks from any machine that can reach this instance over HTTPS. A new
          region becomes a region of the instance.
        </p>
        <FormError message={error} />
        {created && (
          <ShownOnce what="Run the probe with this token" command>
            PROBE_SERVER={location.origin} PROBE_TOKEN={created} npx better-uptime probe
          </ShownOnce>
        )}
        <form onSubmit={create} noValidate>
          <InputField id="probe-name" label="Name" value={name} onValue={setName} />
          <InputField
            id="probe-region"
            label="Region"
            placeholder="e.g. frankfurt"
            value={region}
            onValue={setRegion}
          />
          <button class="button" type="submit">
            Create probe
          </button>
        </form>
      </section>
      {probes && probes.length > 0 && (
        <section class="card" aria-labelledby="probes-heading">
          <h2 id="probes-heading">Probes</h2>
          <div class="table-scroll">
            <table>
              <ColumnHeads
                columns={['Name', 'Region', 'Connection', 'Version', 'Clock offset', 'Checks/s', 'Lag (p99)']}
                actions
              />
              <tbody>
                {probes.map((probe) => (
                  <tr key={probe.id}>
                    <td>
                      {probe.name} <code>…{probe.tokenHint}</code>
                    </td>
                    <td>{probe.region}</td>
                    <td>
                      {probe.connected
                        ? 'connected'
                        : probe.lastSeenAt
                          ? `last seen ${formatTime(probe.lastSeenAt)}`
                          : 'never connected'}
                    </td>
                    <td>{probe.version ?? '–'}</td>
                    <td>
                      {probe.clockOffsetMs === null ? '–' : `${Math.round(probe.clockOffsetMs)} ms`}
                      {probe.clockSkewed && <strong class="error-note"> skewed</strong>}
                    </td>
                    <td>{probe.checksPerSecond === null ? '–' : probe.checksPerSecond.toFixed(2)}</td>
                    <td>{probe.lagMs === null ? '–' : `${Math.round(probe.lagMs)} ms`}</td>
                    <td>
                      <RowButton
                        label="Revoke"
                        of={probe.name}
                        danger
                        onClick={() => {
                          setRevoking(probe);
                          dialog.current?.showModal();
                        }}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
      <ConfirmDeleteDialog
        dialog={dialog}
        id="revoke-probe"
        title={`Revoke the probe ${revoking?.name ?? ''}?`}
        action="Revoke probe"
        run={revoke}
      >
        It is disconnected at once and its token stops working. Its region stays until no probe has it.
      </ConfirmDeleteDialog>
    </>
  );
}
