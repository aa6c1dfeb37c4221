App({ globalData: {}, onLaunch() {} });
