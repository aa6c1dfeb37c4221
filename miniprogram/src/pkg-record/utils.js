/** Helpers the pages of pkg-record share: org tree lookups and the service record's wording. */
const orgsService = require('../services/orgs');
const { formatDate, parseISO, formatPoints } = require('../utils/format');

/** Counts the record's further sources may add to its totals, by their name. */
const SECTION_NAMES = {
  activities: '参加活动',
  meetings: '三会一课',
  wishes: '实现心愿',
  voices: '办理民意',
  opinions: '办理民意'
};

/** {id: node} of the tree GET /orgs answers. */
async function orgIndex() {
  const res = (await orgsService.getOrgTree({ silent: true })) || {};
  const byId = {};
  const walk = (nodes) =>
    (nodes || []).forEach((n) => {
      byId[n.id] = n;
      walk(n.children);
    });
  walk(res.items);
  return { byId, roots: res.items || [] };
}

/** 'YYYY-MM-DD' of an ISO time in local time ('' when missing). */
function dayText(s) {
  const d = parseISO(s);
  return d ? formatDate(d) : '';
}

/** '2026-11' → '2026年11月' */
function monthText(m) {
  const x = /^(\d{4})-(\d{2})$/.exec(m || '');
  return x ? x[1] + '年' + Number(x[2]) + '月' : m || '';
}

function numberText(n) {
  return String(formatPoints(n));
}

module.exports = { SECTION_NAMES, orgIndex, dayText, monthText, numberText };
