/**
 * Voice input (语音输入) through WeChat's 同声传译 plugin (WechatSI, declared in app.json `plugins`):
 * hold to speak, the recognised Chinese text comes back. Where the plugin cannot be loaded (not added
 * to this AppID, an old client, the preview) `available()` is false and the page says typing works.
 */
let manager;

function recognizer() {
  if (manager !== undefined) return manager;
  manager = null;
  try {
    // requirePlugin exists only inside WeChat; it throws when the plugin is not available to this AppID
    const si = typeof requirePlugin === 'function' ? requirePlugin('WechatSI') : null;
    if (si && typeof si.getRecordRecognitionManager === 'function') manager = si.getRecordRecognitionManager();
  } catch (e) {
    manager = null;
  }
  return manager;
}

function available() {
  return !!recognizer();
}

/**
 * Starts listening. handlers: {onText(text), onError(message)}; returns false when voice is unavailable.
 * The recogniser is one per app: the latest caller's handlers receive the result.
 */
function start(handlers) {
  const m = recognizer();
  if (!m) return false;
  m.onStop = (res) => {
    const text = String((res && res.result) || '').trim();
    if (text) handlers.onText(text);
    else handlers.onError('没有听清，请再说一遍，或直接打字');
  };
  m.onError = () => handlers.onError('语音识别失败，请再说一遍，或直接打字');
  m.start({ duration: 60000, lang: 'zh_CN' });
  return true;
}

function stop() {
  const m = recognizer();
  if (m) m.stop();
}

/** Tests: forget the recogniser found. */
function reset() {
  manager = undefined;
}

module.exports = { available, start, stop, reset };
