const { formatDateTime, OPEN_FOR_VOLUNTEER } = require('../../utils/format');
const { mediaUrl } = require('../../utils/upload');

/**
 * One order in a list. `viewer` says who looks at it, which decides what the card shows:
 *  resident  — the person who asked (no internal due time, no volunteer points);
 *  volunteer — the member serving it (due time while open, the points it earns);
 *  hall      — a member who has not taken it yet (community and distance, no address; the page
 *              puts the community in order.community_name, else the organisation is named);
 *  org       — the secretary (wanted time, due time while open).
 */
Component({
  options: { multipleSlots: true },
  properties: {
    order: { type: Object, value: {} },
    compact: { type: Boolean, value: false },
    viewer: { type: String, value: 'resident' }
  },
  data: { view: {} },
  observers: {
    'order, viewer'(o, viewer) {
      const order = o || {};
      const distance = order.distance_km === undefined || order.distance_km === null ? '' : '距您 ' + Number(order.distance_km).toFixed(1) + ' 公里';
      const open = OPEN_FOR_VOLUNTEER.indexOf(order.status) >= 0;
      const volunteer = viewer === 'volunteer' || viewer === 'hall';
      const points = Number(order.points) || 0;
      this.setData({
        view: {
          category: order.category_name || '服务需求',
          created: formatDateTime(order.created_at),
          wanted: formatDateTime(order.wanted_at),
          showWanted: !this.data.compact || viewer === 'org',
          due: (viewer === 'volunteer' || viewer === 'org' || viewer === 'hall') && open ? formatDateTime(order.due_at) : '',
          address: viewer === 'hall' ? '' : order.address || '',
          place: viewer === 'hall' ? [order.community_name || order.org_name, distance].filter(Boolean).join(' · ') : '',
          org: viewer === 'hall' ? '' : order.org_name || '',
          assignee: viewer === 'org' ? order.assignee_name || '' : '',
          points: volunteer && points > 0 ? (order.status === 'closed' ? '已获 ' : '可得 ') + points + ' 积分' : '',
          thumb: order.photos && order.photos[0] ? mediaUrl(order.photos[0].thumb_url) : '',
          photoCount: (order.photos || []).length
        }
      });
    }
  },
  methods: {
    onTap() {
      this.triggerEvent('select', { id: this.data.order.id });
    }
  }
});
