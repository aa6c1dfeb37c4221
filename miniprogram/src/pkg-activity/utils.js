/** Shared by the activity pages: display fields, scanned tokens, the phone's location. */
const { formatDateTime, parseISO } = require('../utils/format');

const TOKEN = /^txa1\.([0-9a-f]{24})\.(in|out)\.\d+\.[\w-]+$/;

/** The activity id and direction a scanned check-in code names, or null if it is none. */
function parseToken(text) {
  const m = TOKEN.exec(String(text || '').trim());
  return m ? { id: m[1], direction: m[2], token: m[0] } : null;
}

function placesText(a) {
  if (a.capacity === null || a.capacity === undefined) return '名额不限';
  if (a.places_left > 0) return '剩余 ' + a.places_left + ' 个名额';
  return '名额已满' + (a.waiting ? '（候补 ' + a.waiting + ' 人）' : '，可候补');
}

function when(a) {
  const start = formatDateTime(a.start_at);
  const end = parseISO(a.end_at);
  const pad = (n) => (n < 10 ? '0' + n : '' + n);
  return end ? start + ' – ' + pad(end.getHours()) + ':' + pad(end.getMinutes()) : start;
}

/** An activity from the API with the texts the pages show. */
function decorate(a) {
  return Object.assign({}, a, {
    whenText: when(a),
    placesText: placesText(a),
    distanceText: a.distance_km === null || a.distance_km === undefined ? '' : a.distance_km < 1 ? Math.round(a.distance_km * 1000) + ' 米' : a.distance_km.toFixed(1) + ' 公里'
  });
}

/** wx.getLocation as a promise (gcj02, as the map and the server's points are). */
function locate() {
  return new Promise((resolve, reject) => {
    wx.getLocation({
      type: 'gcj02',
      success: (res) => resolve({ location: { type: 'Point', coordinates: [res.longitude, res.latitude] }, accuracy: res.accuracy || 0 }),
      fail: (err) => reject(err)
    });
  });
}

/** wx.scanCode as a promise of the scanned text (camera only: no album screenshots). */
function scan() {
  return new Promise((resolve, reject) => {
    wx.scanCode({ onlyFromCamera: true, scanType: ['qrCode'], success: (res) => resolve(res.result), fail: (err) => reject(err) });
  });
}

module.exports = { parseToken, decorate, placesText, locate, scan };
