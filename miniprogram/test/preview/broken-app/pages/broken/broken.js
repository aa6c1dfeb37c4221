// A page with one of each mistake the layout checks must catch (see test/preview/preview.test.js).
Page({
  data: {
    order: { id: '6a0f1c2b3d4e5f60718293a4', status: 'completed', created_at: '2025-03-01T08:30:00Z' },
    missing: undefined,
    // the kind of string a page builds by mistake
    contactText: '联系人 ' + undefined,
    pointsText: '积分 ' + Number('十'),
    filler: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
  },
  onTiny() {}
});
