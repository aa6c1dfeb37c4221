/**
 * Walks the organisation tree one level at a time (GET /orgs?parent=<id>) and hands the chosen
 * node back to the opener through its event channel ('selected').
 * Query: types=community,branch (which node types may be chosen), title.
 */
const orgsService = require('../../services/orgs');
const { ListController, emptyList } = require('../../utils/list');
const careBehavior = require('../../behaviors/care');

const TYPE_TEXT = { city: '市', district: '区县', street: '街道', community: '社区', branch: '支部' };

function decorate(types) {
  return (org) => ({
    id: org.id,
    name: org.name,
    type: org.type,
    typeText: TYPE_TEXT[org.type] || '',
    hasChildren: org.has_children === undefined ? !!(org.children && org.children.length) : !!org.has_children,
    selectable: types.length === 0 || types.indexOf(org.type) >= 0
  });
}

Page({
  behaviors: [careBehavior],
  data: {
    path: [],
    typesText: '',
    list: emptyList()
  },

  onLoad(query) {
    this.types = query && query.types ? String(query.types).split(',').filter(Boolean) : [];
    this.setData({ typesText: this.types.map((t) => TYPE_TEXT[t] || t).join('或') });
    if (query && query.title) wx.setNavigationBarTitle({ title: decodeURIComponent(query.title) });
    this.list = new ListController(this, 'list', () => this.fetchLevel(), { map: decorate(this.types) });
    this.list.refresh();
  },

  fetchLevel() {
    const path = this.data.path;
    if (path.length === 0) {
      // roots visible to the caller: top level of the tree
      return orgsService.getOrgTree().then((res) => ({ items: res.items || [], next_cursor: null }));
    }
    return orgsService.listOrgChildren(path[path.length - 1].id);
  },

  onPullDownRefresh() {
    return this.list.refresh();
  },

  onOpen(e) {
    const org = this.data.list.items[Number(e.currentTarget.dataset.index)];
    if (!org) return;
    if (!org.hasChildren) {
      if (org.selectable) this.choose(org);
      return;
    }
    this.setData({ path: this.data.path.concat([{ id: org.id, name: org.name }]), list: emptyList() });
    return this.list.refresh();
  },

  onCrumb(e) {
    const depth = Number(e.currentTarget.dataset.depth);
    if (depth === this.data.path.length) return;
    this.setData({ path: this.data.path.slice(0, depth), list: emptyList() });
    return this.list.refresh();
  },

  onChoose(e) {
    const org = this.data.list.items[Number(e.currentTarget.dataset.index)];
    if (org && org.selectable) this.choose(org);
  },

  choose(org) {
    const channel = this.getOpenerEventChannel ? this.getOpenerEventChannel() : null;
    if (channel && channel.emit) channel.emit('selected', { id: org.id, name: org.name, type: org.type });
    wx.navigateBack();
  }
});
