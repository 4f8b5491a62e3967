// The filters: search, the due quick filters (Today / Upcoming / Overdue),
// "Hide completed", and behind "Filters and sort" (open on wide screens,
// closed on phones) status, priority, tag and sort. Values come from the
// URL (the page's filters); search and tag are typed into local text that
// the page debounces into the URL.
import { useState } from 'react';
import { PRIORITY_LABELS, STATUS_LABELS } from '../lib/chart.js';
import { DUE_FILTERS, SORTS } from '../lib/filters.js';
import { PHONE } from '../hooks/useMedia.js';
import Field from './Field.jsx';

export default function FilterBar({ filters, searchText, tagText, onSearchText, onTagText, setFilter }) {
  const [open, setOpen] = useState(() => typeof matchMedia !== 'function' || !matchMedia(PHONE).matches);
  const board = filters.view === 'board';
  const advanced = [!board && filters.status, filters.priority, tagText.trim(), filters.sort !== '-createdAt'].filter(Boolean).length;
  return (
    <div className="filters" role="search" aria-label="Filter tasks">
      <div className="filters-main">
        <Field label="Search" type="search" name="search" value={searchText} className="search-field"
          onChange={(e) => onSearchText(e.target.value)} />
        <div className="quick-filters" role="group" aria-label="Due">
          <button type="button" className="btn seg" aria-pressed={!filters.due} onClick={() => setFilter('due', '')}>All</button>
          {Object.entries(DUE_FILTERS).map(([k, l]) => (
            <button key={k} type="button" className="btn seg" aria-pressed={filters.due === k} data-due-filter={k}
              onClick={() => setFilter('due', filters.due === k ? '' : k)}>{l}</button>
          ))}
        </div>
        <label className="check">
          <input type="checkbox" name="hide-completed" checked={filters.hideDone} onChange={(e) => setFilter('hideDone', e.target.checked)} />
          Hide completed
        </label>
      </div>
      <details className="more-filters" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
        <summary>Filters and sort{advanced > 0 && <span className="filter-count"> ({advanced} set)</span>}</summary>
        <div className="filters-more">
          {!board && (
            <Field label="Status" as="select" name="filter-status" value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
              <option value="">Any</option>
              {Object.entries(STATUS_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
            </Field>
          )}
          <Field label="Priority" as="select" name="filter-priority" value={filters.priority} onChange={(e) => setFilter('priority', e.target.value)}>
            <option value="">Any</option>
            {Object.entries(PRIORITY_LABELS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </Field>
          <Field label="Tag" name="filter-tag" value={tagText} onChange={(e) => onTagText(e.target.value)} />
          <Field label="Sort" as="select" name="sort" value={filters.sort} onChange={(e) => setFilter('sort', e.target.value)}>
            {Object.entries(SORTS).map(([k, l]) => <option key={k} value={k}>{l}</option>)}
          </Field>
        </div>
      </details>
    </div>
  );
}
