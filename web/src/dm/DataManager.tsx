import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, Navigate, useParams, useSearchParams } from "react-router-dom";
import { can } from "../access";
import { api, fetchProject, type Me } from "../api";
import { ExportDialog } from "../components/ExportDialog";
import { ImportDialog } from "../components/Importer";
import { NotFound, ProjectProblem } from "../components/NotFound";
import { ProjectHeader } from "../components/ProjectHeader";
import { dataKeys, plural } from "../lib";
import { preloadLabelStudio } from "../lsf";
import { selectionParam, type Selection } from "../labeling";
import { Actions } from "./Actions";
import { ColumnChooser } from "./ColumnChooser";
import { OrderMenu } from "./OrderMenu";
import { FilterPanel } from "./Filters";
import { Preview } from "./Preview";
import { hiddenColumnKeys, nextOrdering, NO_SELECTION, selectedCount, toggleColumn, visibleColumns, type Column, type View, type ViewData } from "./query";
import { Tabs } from "./Tabs";
import { TaskGrid } from "./TaskGrid";
import { TaskTable, type Totals } from "./TaskTable";

/** The agreement column, shown empty until agreement metrics exist (not sent to the server). */
const AGREEMENT: Column = { id: "agreement", title: "Agreement", type: "Number", target: "tasks", help: "Agreement between annotators (arrives with reviews)", visibility_defaults: { explore: true, labeling: false } };

/** The Data Manager of a project: tabs, filters, ordering, columns, selection, actions, preview. */
export function DataManager({ me }: { me: Me }) {
  const { id = "" } = useParams();
  if (!/^\d+$/.test(id)) return <NotFound />;
  // Annotators label one task after another; the table of all tasks is for reviewers and up.
  if (!can(me, "views.view")) return <Navigate to={`/projects/${id}/label`} replace />;
  return <DataManagerPage key={id} projectId={Number(id)} me={me} />;
}

function DataManagerPage({ projectId, me }: { projectId: number; me: Me }) {
  const queries = useQueryClient();
  const [params, setParams] = useSearchParams();
  const project = useQuery({ queryKey: ["project", String(projectId)], queryFn: () => fetchProject(projectId) });
  const views = useQuery({ queryKey: ["views", projectId], queryFn: () => api<View[]>(`/api/dm/views/?project=${projectId}`) });
  // Fetched alongside the project; a config change in the settings invalidates it.
  const columns = useQuery({ queryKey: ["columns", projectId], queryFn: () => api<{ columns: Column[] }>(`/api/dm/columns/?project=${projectId}`) });
  const users = useQuery({ queryKey: ["users"], queryFn: () => api<Me[]>("/api/users/"), retry: false });
  const userMap = useMemo(() => new Map((users.data ?? []).map((u) => [u.id, u])), [users.data]);

  const createView = useMutation({
    mutationFn: (title: string) => api<View>("/api/dm/views/", { method: "POST", body: JSON.stringify({ project: projectId, data: { title } }) }),
    onSuccess: (view) => {
      queries.setQueryData<View[]>(["views", projectId], (old) => [...(old ?? []), view]);
      setParams({ tab: String(view.id) });
    },
  });
  // A project without tabs gets a default one (as Label Studio's Data Manager does).
  const noViews = views.data?.length === 0;
  useEffect(() => {
    if (noViews && !createView.isPending && !createView.isError) createView.mutate("Default");
  }, [noViews, createView.isPending, createView.isError, createView.mutate]);

  const tabParam = Number(params.get("tab"));
  const view = views.data?.find((v) => v.id === tabParam) ?? views.data?.[0];
  const saveView = useMutation({
    mutationFn: ({ target, data }: { target: View; data: ViewData }) =>
      api<View>(`/api/dm/views/${target.id}/`, { method: "PATCH", body: JSON.stringify({ project: projectId, data }) }),
    onMutate: ({ target, data }) => {
      queries.setQueryData<View[]>(["views", projectId], (old) => old?.map((v) => (v.id === target.id ? { ...v, data } : v)));
    },
    onError: () => queries.invalidateQueries({ queryKey: ["views", projectId] }),
  });
  const deleteView = useMutation({
    mutationFn: (target: View) => api(`/api/dm/views/${target.id}/`, { method: "DELETE" }),
    onSuccess: (_, target) => {
      queries.setQueryData<View[]>(["views", projectId], (old) => old?.filter((v) => v.id !== target.id));
      if (target.id === view?.id) setParams({});
    },
  });

  // The preview and the labeling page need the editor: fetch it while people look at the table.
  useEffect(preloadLabelStudio, []);
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  const [totals, setTotals] = useState<Totals | null>(null);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const [dialog, setDialog] = useState<"import" | "export" | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const viewId = view?.id;
  const filterText = JSON.stringify(view?.data.filters ?? null);
  useEffect(() => setSelection(NO_SELECTION), [viewId, filterText]);

  const saveViewData = saveView.mutate;
  const update = useCallback((patch: Partial<ViewData>) => view && saveViewData({ target: view, data: { ...view.data, ...patch } }), [view, saveViewData]);
  const onFilters = useCallback((filters: ViewData["filters"]) => update({ filters }), [update]);
  const opened = Number(params.get("task")) || null;
  const setOpened = (task: number | null) => {
    const next = new URLSearchParams(params);
    if (view) next.set("tab", String(view.id));
    if (task) next.set("task", String(task));
    else next.delete("task");
    setParams(next);
  };

  if (project.isPending || views.isPending) return <p className="muted" role="status">Loading project…</p>;
  if (project.isError) return <ProjectProblem error={project.error} />;
  if (views.isError) return <p className="error" role="alert">{views.error.message}</p>;
  if (!view || !columns.data) return <p className="muted" role="status">Preparing the Data Manager…</p>;

  const p = project.data;
  const allColumns = [...columns.data.columns, AGREEMENT];
  const shown = visibleColumns(allColumns, view.data);
  // Image projects may show their tasks as a grid of pictures.
  const imageColumn = allColumns.find((c) => c.parent === "data" && c.type === "Image");
  const grid = view.data.type === "grid";
  const count = totals ? selectedCount(selection, totals.total) : 0;
  const filterCount = view.data.filters?.items.length ?? 0;
  const labelLink = `/projects/${projectId}/label?tab=${view.id}${count ? `&sel=${selectionParam(selection)}` : ""}`;

  return (
    <section className="dm">
      <ProjectHeader project={p} me={me}>
        <span className="muted counters" data-testid="counters">
          {plural(p.task_number ?? 0, "task")} · {plural(p.total_annotations_number ?? 0, "annotation")} · {plural(p.total_predictions_number ?? 0, "prediction")}
        </span>
        {can(me, "tasks.create") && <button onClick={() => setDialog("import")}>Import</button>}
        {can(me, "projects.change") && <button onClick={() => setDialog("export")}>Export</button>}
      </ProjectHeader>
      <Tabs
        views={views.data}
        current={view.id}
        onPick={(id) => setParams({ tab: String(id) })}
        onAdd={() => createView.mutate("New Tab")}
        onRename={(target, title) => saveView.mutate({ target, data: { ...target.data, title } })}
        onClose={(target) => window.confirm(`Close the tab "${target.data.title}"? Its filters are lost.`) && deleteView.mutate(target)}
      />
      <div className="dm-toolbar">
        <button aria-expanded={filtersOpen} onClick={() => setFiltersOpen(!filtersOpen)}>
          Filters{filterCount ? ` (${filterCount})` : ""}
        </button>
        <ColumnChooser columns={allColumns} view={view.data} onToggle={(column) => update({ hiddenColumns: toggleColumn(allColumns, view.data, column) })} />
        <OrderMenu columns={shown} ordering={view.data.ordering} onChange={(ordering) => update({ ordering })} />
        {imageColumn && (
          <div className="segmented" role="tablist" aria-label="Layout">
            <button role="tab" aria-selected={!grid} onClick={() => update({ type: "list" })}>List</button>
            <button role="tab" aria-selected={grid} onClick={() => update({ type: "grid" })}>Grid</button>
          </div>
        )}
        {count > 0 && can(me, "actions.perform") && (
          <Actions
            projectId={projectId}
            tabId={view.id}
            view={view.data}
            selection={selection}
            count={count}
            onDone={(detail) => {
              setNotice(detail);
              setSelection(NO_SELECTION);
            }}
          />
        )}
        <span className="muted" data-testid="dm-totals">
          {totals ? `${plural(totals.total, "task")} · ${plural(totals.total_annotations, "annotation")} · ${plural(totals.total_predictions, "prediction")}` : ""}
          {count > 0 ? ` · ${count.toLocaleString("en-US")} selected` : ""}
        </span>
        <Link className="button primary" to={labelLink}>{count > 0 ? `Label ${count.toLocaleString("en-US")} selected` : "Label All Tasks"}</Link>
      </div>
      {filtersOpen && <FilterPanel key={view.id} columns={allColumns} filters={view.data.filters ?? { conjunction: "and", items: [] }} users={users.data ?? []} onChange={onFilters} />}
      {saveView.isError && <p className="error" role="alert">{saveView.error.message}</p>}
      {notice && <p className="notice" role="status">{notice}</p>}
      <div className={opened ? "dm-body with-preview" : "dm-body"}>
        {grid && imageColumn ? (
          <TaskGrid
            projectId={projectId}
            view={view}
            hidden={hiddenColumnKeys(allColumns, view.data)}
            imageColumn={imageColumn}
            selection={selection}
            onSelection={setSelection}
            opened={opened}
            onOpen={(task) => setOpened(task)}
            onTotals={setTotals}
          />
        ) : <TaskTable
          projectId={projectId}
          view={view}
          columns={shown}
          hidden={hiddenColumnKeys(allColumns, view.data)}
          users={userMap}
          selection={selection}
          onSelection={setSelection}
          opened={opened}
          onOpen={(task) => setOpened(task)}
          onOrder={(column) => update({ ordering: nextOrdering(view.data.ordering, column) })}
          onTotals={setTotals}
        />}
        {opened && <Preview key={opened} projectId={projectId} taskId={opened} config={p.label_config} me={me} tab={view.id} skippable={p.show_skip_button} onClose={() => setOpened(null)} />}
      </div>
      {dialog === "import" && <ImportDialog projectId={projectId} dataKey={dataKeys(p.label_config)[0]} onClose={() => setDialog(null)} />}
      {dialog === "export" && <ExportDialog projectId={projectId} onClose={() => setDialog(null)} />}
    </section>
  );
}
