/** Promise helpers around WeChat modal dialogs. */

function confirm(title, content, confirmText) {
  return new Promise((resolve) => {
    wx.showModal({
      title,
      content: content || '',
      confirmText: confirmText || '确定',
      confirmColor: '#C8161D',
      success(res) {
        resolve(!!(res && res.confirm));
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

module.exports = { confirm, prompt, toast };
