/** Promise helpers around WeChat modal dialogs. */

/**
 * Resolves true when the user confirms.
 * opts.onConfirm runs synchronously inside the dialog's success callback, still within the user's
 * gesture: that is where wx.requestSubscribeMessage may be called (see utils/subscribe.js).
 */
function confirm(title, content, confirmText, opts) {
  const o = opts || {};
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content: content || '',
      confirmText: confirmText || '确定',
      cancelText: o.cancelText || '取消',
      confirmColor: '#C8161D',
      success(res) {
        const ok = !!(res && res.confirm);
        if (ok && o.onConfirm) {
          try {
            o.onConfirm();
          } catch (e) {
            // the hook must never stop the action
          }
        }
        resolve(ok);
      },
      fail() {
        resolve(false);
      }
    });
  });
}

/**
 * Asks for a line of text. Resolves the trimmed text, or null when the user cancels.
 * When `required`, an empty answer shows a hint and resolves null.
 */
function prompt(title, placeholder, required) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      editable: true,
      placeholderText: placeholder || '',
      confirmColor: '#C8161D',
      success(res) {
        if (!res || !res.confirm) return resolve(null);
        const text = String(res.content || '').trim();
        if (required && !text) {
          toast('请填写' + (placeholder || '内容'));
          return resolve(null);
        }
        resolve(text);
      },
      fail() {
        resolve(null);
      }
    });
  });
}

function toast(title, icon) {
  wx.showToast({ title, icon: icon || 'none', duration: 2000 });
}

/** A message with one button (for reasons too long for a toast). */
function alert(title, content) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content: content || '',
      showCancel: false,
      confirmText: '知道了',
      confirmColor: '#C8161D',
      success() {
        resolve();
      },
      fail() {
        resolve();
      }
    });
  });
}

module.exports = { confirm, prompt, toast, alert };
