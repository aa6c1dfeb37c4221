// A fixed-size text box: fits at the standard font, cut off once the phone's font is larger (see preview.test.js).
Page({ data: {} });
