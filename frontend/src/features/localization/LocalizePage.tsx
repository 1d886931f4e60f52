/**
 * Localize, for people: pick a network (or receivers on the map) and enter what each receiver
 * measured, or drop recordings, or (advanced) paste a measurement set. The result is drawn with what
 * each measurement says (bearing lines, hyperbolas, range rings, outliers) and kept in a history.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { ApiError } from '../../api/client';
import { api } from '../../api/endpoints';
import { useNetworks, useReceivers, useRecentLocalizations } from '../../api/queries';
import { queryKeys } from '../../api/queryKeys';
import type { LocalizationDetail, LocalizationResult, MeasurementSet, Receiver, RecordingsLocalization } from '../../api/types';
import { formatPosition } from '../../components/format';
import {
  FixesLayer, HealthLegend, HeatLayer, HeatLegend, MapView, OverlaysLayer, ReceiversLayer, boundsOfFeatures,
  toMapReceiver, type MapFix, type MapReceiver,
} from '../../components/map';
import { Tabs } from '../../components/Tabs';
import { useSubmit } from '../../components/useSubmit';
import { ErrorNotice, isUnavailable } from '../../components/Unavailable';
import { useTopics } from '../../events/react';
import { History } from './History';
import { JsonEditor } from './JsonEditor';
import { MeasurementForm } from './MeasurementForm';
import { buildMeasurementSet, defaultKind, formFieldOf, validate, withKind, type FormState, type Origins } from './formModel';
import { parseMeasurementSet, posteriorGrid } from './measurementSet';
import { RecordingsDrop, receiversFor, type RecordingsInput } from './RecordingsDrop';
import { ResultView } from './ResultView';

const HISTORY = 20;

/** Server errors name measurement-set paths (`aoa[1].sigma_deg`): point them at the form's own fields. */
function relabel(origins: Origins) {
  return (exc: unknown): never => {
    if (exc instanceof ApiError && !exc.unavailable) {
      const details = (exc.details ?? {}) as { field?: unknown; errors?: { field?: unknown; loc?: unknown }[] };
      const raw = details.field ?? details.errors?.[0]?.field ?? details.errors?.[0]?.loc;
      const path = Array.isArray(raw) ? raw.filter((p) => p !== 'body').join('.') : typeof raw === 'string' ? raw : '';
      const field = path ? formFieldOf(path, origins) : null;
      throw new ApiError(exc.status, exc.code, exc.message, field ? { field } : undefined);
    }
    throw exc;
  };
}

function useSelection() {
  const cache = useQueryClient();
  const [selected, setSelected] = useState<string | null>(null);
  const detail = useQuery({
    queryKey: queryKeys.localizations.detail(selected ?? ''), queryFn: () => api.getLocalization(selected!),
    enabled: Boolean(selected), staleTime: Infinity,
  });
  const overlays = useQuery({
    queryKey: queryKeys.localizations.overlays(selected ?? ''), queryFn: () => api.localizationOverlays(selected!),
    enabled: Boolean(selected), staleTime: Infinity, retry: false,
  });
  const show = (result: LocalizationResult, request: MeasurementSet) => {
    if (!result.id) return;
    cache.setQueryData<LocalizationDetail>(queryKeys.localizations.detail(result.id), { ...result, request });
    setSelected(result.id);
  };
  return { selected, setSelected, detail, overlays, show };
}

function mapReceivers(members: Receiver[], rows: FormState['rows'], detail: LocalizationDetail | undefined,
  reasons: Record<string, string>): MapReceiver[] {
  const outliers = new Set(detail?.outliers ?? []);
  const mark = (r: MapReceiver): MapReceiver => ({ ...r, outlier: outliers.has(r.name), reason: reasons[r.name] ?? null });
  const shown = members.map((r) => mark({ ...toMapReceiver(r), selected: (rows[r.id]?.kind ?? 'none') !== 'none' }));
  const names = new Set(members.map((r) => r.name));
  for (const r of detail?.request?.receivers ?? []) {
    if (!names.has(r.id)) shown.push(mark({ id: `result:${r.id}`, name: r.id, lat: r.lat, lon: r.lon, health: 'unknown', status: 'from the measurement set' }));
  }
  return shown;
}

export default function LocalizePage() {
  useTopics(['localizations', 'receivers', 'networks']);
  const networks = useNetworks();
  const receivers = useReceivers();
  const [picked, setNetwork] = useState<string | null>(null);
  const networkId = picked ?? networks.data?.items[0]?.id ?? '';
  const network = networks.data?.items.find((n) => n.id === networkId);
  const members = useMemo(() => {
    const ids = new Set(network?.receiver_ids ?? []);
    return (receivers.data?.items ?? []).filter((r) => ids.has(r.id));
  }, [network, receivers.data]);
  const [tab, setTab] = useState('form');
  const [form, setForm] = useState<FormState>({ frequencyMhz: '145.5', method: 'auto', rows: {} });
  const [recordings, setRecordings] = useState<RecordingsInput>({ files: [], receiversJson: null, receiversName: null });
  const [text, setText] = useState('');
  const history = useRecentLocalizations(HISTORY);
  const { selected, setSelected, detail, overlays, show } = useSelection();
  const [diagnostics, setDiagnostics] = useState<Record<string, RecordingsLocalization['recordings']>>({});

  const formSubmit = useSubmit({
    fields: ['frequency', 'method', 'rows', ...members.flatMap((r) => ['kind', 'value', 'sigma', 'reference'].map((p) => `row-${r.id}-${p}`))],
    validate: () => validate(form, members),
    send: async () => {
      const { ms, origins } = buildMeasurementSet(form, members);
      return { result: await api.localize(ms, networkId || undefined).catch(relabel(origins)), ms };
    },
    onSuccess: ({ result, ms }) => show(result, ms),
  });
  const recordingsSubmit = useSubmit({
    fields: ['recordings', 'receivers'],
    validate: (): Record<string, string> => (recordings.files.length >= 2 ? {} : { recordings: 'Choose at least two simultaneous recordings.' }),
    send: async () => {
      const positions = receiversFor(recordings, members);
      const fromNetwork = !recordings.receiversJson && positions.json ? networkId : undefined;
      return api.localizeRecordings(recordings.files, positions.json ?? undefined, fromNetwork || undefined);
    },
    // The stored localization (with its measurement set) is fetched; the pipeline's diagnostics are kept here.
    onSuccess: (result) => {
      if (!result.id) return;
      setDiagnostics((d) => ({ ...d, [result.id!]: result.recordings }));
      setSelected(result.id);
    },
  });
  const jsonSubmit = useSubmit({
    fields: ['measurement_set'],
    validate: (): Record<string, string> => {
      const parsed = parseMeasurementSet(text);
      return parsed.ok ? {} : { measurement_set: parsed.error };
    },
    send: async () => {
      const parsed = parseMeasurementSet(text);
      if (!parsed.ok) throw new Error(parsed.error);
      const result = await api.localize(parsed.value).catch((exc: unknown) => {
        if (exc instanceof ApiError && !exc.unavailable) {
          const details = (exc.details ?? {}) as { field?: unknown };
          if (details.field) throw new ApiError(exc.status, exc.code, `${String(details.field)}: ${exc.message}`, { field: 'measurement_set' });
        }
        throw exc;
      });
      return { result, ms: parsed.value };
    },
    onSuccess: ({ result, ms }) => show(result, ms),
  });

  const toggleReceiver = (id: string) => {
    const receiver = members.find((r) => r.id === id);
    if (!receiver) return;
    const row = form.rows[id] ?? { kind: 'none', value: '', sigma: '', reference: '' };
    setForm({ ...form, rows: { ...form.rows, [id]: withKind(row, row.kind === 'none' ? defaultKind(receiver) : 'none') } });
    setTab('form');
  };
  const reasons = useMemo(() => Object.fromEntries((overlays.data?.features ?? [])
    .filter((f) => f.properties.kind === 'receiver' && f.properties.reason).map((f) => [f.properties.receiver, f.properties.reason as string])), [overlays.data]);
  const shownReceivers = useMemo(() => mapReceivers(members, form.rows, detail.data, reasons), [members, form.rows, detail.data, reasons]);
  const result = detail.data;
  const fixes = useMemo<MapFix[]>(() => (result ? [{ key: result.id ?? 'result', lat: result.lat, lon: result.lon, ellipses: result.ellipses,
    latest: true, label: `${result.method} · ${formatPosition(result.lat, result.lon)}` }] : []), [result]);
  const heat = useMemo(() => (result ? posteriorGrid(result) : null), [result]);
  const fitTo = useMemo(() => boundsOfFeatures([{ type: 'FeatureCollection', features: [
    ...shownReceivers.map((r) => ({ type: 'Feature' as const, geometry: { type: 'Point' as const, coordinates: [r.lon, r.lat] }, properties: {} })),
    ...fixes.flatMap((f) => f.ellipses.filter((e) => e.confidence > 0.9).map(() => ({ type: 'Feature' as const,
      geometry: { type: 'Point' as const, coordinates: [f.lon, f.lat] }, properties: {} }))),
  ] }]), [shownReceivers, fixes]);

  return (
    <div className="page">
      <div className="localize-layout">
        <div className="localize-input">
          <Tabs label="How to give the measurements" active={tab} onChange={setTab} tabs={[
            { id: 'form', label: 'Measurements', panel: (
              <MeasurementForm networks={networks.data?.items ?? []} networkId={networkId} onNetwork={setNetwork}
                receivers={members} state={form} onChange={setForm} errors={formSubmit.errors} formError={formSubmit.formError}
                submitting={formSubmit.submitting} unavailable={formSubmit.unavailable} onSubmit={formSubmit.onSubmit} />
            ) },
            { id: 'recordings', label: 'Recordings', panel: (
              <RecordingsDrop input={recordings} onChange={setRecordings} networkReceivers={members} networkName={network?.name}
                errors={recordingsSubmit.errors} formError={recordingsSubmit.formError} submitting={recordingsSubmit.submitting}
                unavailable={recordingsSubmit.unavailable} onSubmit={recordingsSubmit.onSubmit} />
            ) },
            { id: 'json', label: 'Advanced (JSON)', panel: (
              <JsonEditor text={text} onText={setText} errors={jsonSubmit.errors} formError={jsonSubmit.formError}
                submitting={jsonSubmit.submitting} unavailable={jsonSubmit.unavailable} onSubmit={jsonSubmit.onSubmit} />
            ) },
          ]} />
          {result && <ResultView result={result} overlays={overlays.data} recordings={selected ? diagnostics[selected] : undefined} />}
          {detail.error ? <ErrorNotice error={detail.error} /> : null}
          {overlays.error && !isUnavailable(overlays.error) ? <ErrorNotice error={overlays.error} /> : null}
        </div>
        <div className="localize-map">
          <MapView label="Localization map" height={520} fitTo={fitTo} exportName={selected ? `localization-${selected}` : 'localize'}>
            <HeatLayer grid={heat} id="posterior" />
            <OverlaysLayer overlays={overlays.data ?? null} />
            <FixesLayer fixes={fixes} id="result" />
            <ReceiversLayer receivers={shownReceivers} onSelect={toggleReceiver} />
          </MapView>
          <div className="legends">
            <HealthLegend outliers />
            {heat && <HeatLegend grid={heat} label="Posterior" />}
          </div>
          <section aria-label="history" className="card">
            <h2>History</h2>
            <History items={history.items} selected={selected} onSelect={setSelected} />
          </section>
        </div>
      </div>
    </div>
  );
}
