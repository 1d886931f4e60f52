import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/endpoints';
import { useCalibrations, useNetworks, useReceivers } from '../../api/queries';
import { queryKeys } from '../../api/queryKeys';
import type { Calibration, Network, Receiver } from '../../api/types';
import { ActionButton } from '../../components/ActionButton';
import { ErrorNotice, isUnavailable, UnavailableNotice } from '../../components/Unavailable';
import { useTopics } from '../../events/react';
import { AddFromUrlForm } from './AddFromUrlForm';
import { calibrationView } from './calibration';
import { HealthCell } from './HealthCell';
import { NetworkForm } from './NetworkForm';
import { ReceiverForm } from './ReceiverForm';

function CalibrationCell({ name, calibrations }: { name: string; calibrations: Calibration[] | null }) {
  if (calibrations === null) return <span className="muted" title="the calibrations could not be read">—</span>;
  const view = calibrationView(name, calibrations);
  return <span className={`badge calibration-${view.state}`} title={view.detail}>{view.state}</span>;
}

function ReceiverTable({ receivers, onEdit }: { receivers: Receiver[]; onEdit: (r: Receiver) => void }) {
  const cache = useQueryClient();
  const calibrations = useCalibrations();
  const known = calibrations.data ? calibrations.data.items : null;
  const refresh = () => cache.invalidateQueries({ queryKey: queryKeys.receivers.all });
  const check = (id: string) => api.checkReceiverHealth(id).then(refresh);
  return (
    <table className="table">
      <thead>
        <tr><th>Name</th><th>Kind</th><th>Position</th><th>Capabilities</th><th>Timing</th><th>Enabled</th><th>Health</th><th>Calibration</th><th /></tr>
      </thead>
      <tbody>
        {receivers.map((r) => (
          <tr key={r.id}>
            <td>{r.name}</td>
            <td>{r.kind}</td>
            <td>{r.lat.toFixed(4)}, {r.lon.toFixed(4)}, {r.alt_m} m</td>
            <td>{r.capabilities.join(', ')}</td>
            <td>{r.timing}</td>
            <td>{r.enabled ? 'yes' : 'no'}</td>
            <td><HealthCell receiver={r} onCheck={check} /></td>
            <td><CalibrationCell name={r.name} calibrations={known} /></td>
            <td className="actions">
              <button type="button" onClick={() => onEdit(r)}>Edit</button>
              <ActionButton onAction={() => api.deleteReceiver(r.id).then(refresh)}>Delete</ActionButton>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function NetworkList({ networks, receivers }: { networks: Network[]; receivers: Receiver[] }) {
  const cache = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const refresh = () => cache.invalidateQueries({ queryKey: queryKeys.networks.all });
  const nameOf = (id: string) => receivers.find((r) => r.id === id)?.name ?? id.slice(0, 8);
  return (
    <ul className="cards">
      {networks.map((n) => (
        <li key={n.id} className="card">
          {editing === n.id ? (
            <NetworkForm network={n} receivers={receivers} onSubmit={(input) => api.updateNetwork(n.id, input)}
              onDone={() => { setEditing(null); void refresh(); }} onCancel={() => setEditing(null)} />
          ) : (
            <>
              <strong>{n.name}</strong> {n.description && <span className="muted">— {n.description}</span>}
              <div className="muted">{(n.receiver_ids ?? n.receivers?.map((r) => r.id) ?? []).map(nameOf).join(', ')}</div>
              <div className="row">
                <button type="button" onClick={() => setEditing(n.id)}>Edit</button>
                <ActionButton onAction={() => api.deleteNetwork(n.id).then(refresh)}>Delete</ActionButton>
              </div>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

export default function ReceiversPage() {
  // `networks` (network.* events) is this server's extension of CONTRACT §3.
  useTopics(['receivers', 'networks', 'calibrations']);
  const cache = useQueryClient();
  const receivers = useReceivers();
  const networks = useNetworks();
  const [editing, setEditing] = useState<Receiver | null>(null);
  const list = receivers.data?.items ?? [];
  const refresh = () => cache.invalidateQueries({ queryKey: queryKeys.receivers.all });

  if (isUnavailable(receivers.error)) return <UnavailableNotice feature="Receivers" error={receivers.error} />;
  return (
    <div className="page">
      <section>
        <h2>Receivers {receivers.data && <small className="muted">({receivers.data.total})</small>}</h2>
        <ErrorNotice error={receivers.error} />
        <ReceiverTable receivers={list} onEdit={setEditing} />
        {editing ? (
          <ReceiverForm key={editing.id} receiver={editing} onSubmit={(input) => api.updateReceiver(editing.id, input)}
            onDone={() => { setEditing(null); void refresh(); }} onCancel={() => setEditing(null)} />
        ) : (
          <>
            <details>
              <summary>Add from URL</summary>
              <AddFromUrlForm onSubmit={api.createReceiverFromUrl} onDone={() => void refresh()} />
            </details>
            <details>
              <summary>Add a receiver</summary>
              <ReceiverForm onSubmit={api.createReceiver} onDone={() => void refresh()} />
            </details>
          </>
        )}
      </section>
      <section>
        <h2>Networks</h2>
        {isUnavailable(networks.error) ? (
          <UnavailableNotice feature="Networks" error={networks.error} />
        ) : (
          <>
            <ErrorNotice error={networks.error} />
            <NetworkList networks={networks.data?.items ?? []} receivers={list} />
            <details>
              <summary>Add a network</summary>
              <NetworkForm receivers={list} onSubmit={api.createNetwork}
                onDone={() => void cache.invalidateQueries({ queryKey: queryKeys.networks.all })} />
            </details>
          </>
        )}
      </section>
    </div>
  );
}
