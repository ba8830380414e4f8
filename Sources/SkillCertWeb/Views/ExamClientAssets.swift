/// The candidate's exam client: plain JavaScript and its stylesheet, served from memory (`/static/exam.js`,
/// `/static/exam.css`). The server owns the clock and the answers; the client shows them, and keeps a journal of
/// answer changes in local storage until the server has acknowledged each one (replayed in order after a drop).
enum ExamClientAssets {
    static let css = """
    *{box-sizing:border-box}body{margin:0;font:16px/1.6 "Noto Sans CJK SC","Microsoft YaHei",system-ui,sans-serif;color:#1f2933;background:#f5f7fa}
    body.big{font-size:20px}.bar{display:flex;justify-content:space-between;align-items:center;gap:1rem;background:#b42318;color:#fff;padding:.5rem 1rem}
    .brand{font-weight:700}.clock{font-size:1.3em;font-weight:700;font-variant-numeric:tabular-nums}.clock.low{background:#fff;color:#b42318;padding:0 .5rem;border-radius:4px}
    button{font:inherit;background:#b42318;color:#fff;border:0;border-radius:4px;padding:.45rem 1rem;cursor:pointer}button:focus-visible,input:focus-visible{outline:3px solid #f0b429}
    button.plain{background:#fff;color:#7a1a12;border:1px solid #7a1a12}button.danger{background:#7a1a12;margin-left:auto}button:disabled{opacity:.5}
    .panel{max-width:560px;margin:2rem auto;background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:1.5rem 2rem}
    .panel label{display:block;margin:.8rem 0;font-weight:600}.panel input{display:block;width:100%;font:inherit;padding:.5rem;border:1px solid #9aa5b1;border-radius:4px;margin-top:.2rem}
    .error{color:#b42318;min-height:1.4em}.countdown{font-size:1.2em}.exam{display:grid;grid-template-columns:220px 1fr;grid-template-rows:1fr auto auto;gap:.8rem;padding:1rem;max-width:1340px;margin:0 auto}
    #navigator{grid-row:1/4;display:grid;grid-template-columns:repeat(5,1fr);gap:.3rem;align-content:start;background:#fff;border:1px solid #d9e2ec;padding:.5rem;border-radius:6px;max-height:80vh;overflow:auto}
    #navigator button{padding:.3rem 0;background:#fff;color:#1f2933;border:1px solid #9aa5b1}#navigator button.answered{background:#e6f4ea;border-color:#1e7b34}
    #navigator button.flagged{box-shadow:inset 0 -4px 0 #f0b429}#navigator button.pending{background:#fff4d6}#navigator button.current{outline:3px solid #b42318}
    .item{background:#fff;border:1px solid #d9e2ec;border-radius:6px;padding:1rem 1.5rem;min-height:50vh}.item .meta{color:#616e7c}.item .stem{font-size:1.1em;margin:.6rem 0 1rem}
    .option{display:flex;gap:.6rem;align-items:flex-start;padding:.5rem;border:1px solid #d9e2ec;border-radius:4px;margin:.4rem 0;cursor:pointer}.option:hover{background:#fdecea}
    .option input{margin-top:.35rem}.fill{width:100%;font:inherit;padding:.5rem;border:1px solid #9aa5b1;border-radius:4px}
    .controls{display:flex;gap:.6rem;align-items:center;flex-wrap:wrap}.save-state{color:#616e7c}.save-state.pending{color:#b7791f}.save-state.saved{color:#1e7b34}.save-state.offline{color:#b42318;font-weight:700}
    .legend{color:#616e7c;font-size:.85em}.k{display:inline-block;width:1em;height:1em;border:1px solid #9aa5b1;vertical-align:middle}.k.answered{background:#e6f4ea}.k.flagged{box-shadow:inset 0 -4px 0 #f0b429}.k.pending{background:#fff4d6}
    .overlay{position:fixed;inset:0;background:rgba(31,41,51,.85);color:#fff;display:flex;align-items:center;justify-content:center;text-align:center}.overlay[hidden]{display:none}
    .rules{padding-left:1.2rem}
    """

    static let js = #"""
    (function () {
      'use strict';
      var $ = function (id) { return document.getElementById(id); };
      var state = { token: sessionStorage.getItem('exam.token'), paper: null, current: 0, flags: {}, remaining: 0, tick: null,
                    inflight: false, closed: false, retry: 0 };
      var TYPES = { 'single-choice': '单选题', 'multiple-choice': '多选题', 'true-false': '判断题', 'fill-in': '填空题' };

      function show(id) { ['login', 'waiting', 'exam', 'done'].forEach(function (s) { $(s).hidden = s !== id; }); }
      function api(method, path, body) {
        var headers = { 'Accept': 'application/json' };
        if (state.token) headers['Authorization'] = 'Bearer ' + state.token;
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' })
          .then(function (r) { return r.json().catch(function () { return {}; }).then(function (j) { return { status: r.status, body: j }; }); });
      }
      function key(name) { return 'exam.' + name + '.' + (state.paper ? state.paper.attemptId : ''); }
      function journal() { try { return JSON.parse(localStorage.getItem(key('journal')) || '[]'); } catch (e) { return []; } }
      function setJournal(j) { localStorage.setItem(key('journal'), JSON.stringify(j)); }
      function nextSeq() { var n = (parseInt(localStorage.getItem(key('seq')) || '0', 10) || 0) + 1; localStorage.setItem(key('seq'), String(n)); return n; }

      // Sign-in.
      $('login-form').addEventListener('submit', function (e) {
        e.preventDefault();
        $('login-error').textContent = '';
        api('POST', '/api/v1/exam/login', { ticketNumber: $('ticket').value.trim(), idNumber: $('idnumber').value.trim(),
                                            sessionPassword: $('password').value.trim() || null })
          .then(function (r) {
            if (r.status !== 200) { $('login-error').textContent = (r.body.error && r.body.error.message) || '登录失败'; return; }
            state.token = r.body.token; sessionStorage.setItem('exam.token', state.token); load();
          }).catch(function () { $('login-error').textContent = '无法连接服务器，请稍后重试或举手示意监考员'; });
      });

      function load() {
        return api('GET', '/api/v1/exam/attempt').then(function (r) {
          if (r.status === 401) { sessionStorage.removeItem('exam.token'); state.token = null; show('login'); return; }
          if (r.status !== 200) { setTimeout(load, 3000); return; }
          var p = r.body; state.paper = p; state.remaining = p.remainingSeconds;
          var seq = parseInt(localStorage.getItem(key('seq')) || '0', 10) || 0;
          Object.keys(p.answers).forEach(function (id) { seq = Math.max(seq, p.answers[id].seq); });
          localStorage.setItem(key('seq'), String(seq));
          $('paused').hidden = !p.paused;
          if (p.status === 'submitted' || p.status === 'terminated') { finish(p.status); return; }
          if (p.status === 'not-started' || !p.items.length) {
            $('who').textContent = p.candidateName; $('title').textContent = p.sessionTitle; show('waiting');
            countdown(p.startsInSeconds, $('starts'), function () { load(); });
            setTimeout(load, Math.min(15000, Math.max(1000, p.startsInSeconds * 1000)));
            return;
          }
          // Answers still in the local journal are newer than what the server has.
          journal().forEach(function (j) { p.answers[j.itemId] = { response: j.response, seq: j.seq, pending: true }; });
          show('exam'); render(); startClock(); flush();
        }).catch(function () { setTimeout(load, 3000); });
      }

      function countdown(seconds, el, done) {
        var end = Date.now() + seconds * 1000;
        (function step() {
          var left = Math.max(0, Math.round((end - Date.now()) / 1000));
          el.textContent = Math.floor(left / 60) + ' 分 ' + (left % 60) + ' 秒';
          if (left > 0 && !$('waiting').hidden) setTimeout(step, 1000); else if (left <= 0) done();
        })();
      }

      function startClock() {
        if (state.tick) clearInterval(state.tick);
        var shown = Date.now();
        draw();
        state.tick = setInterval(function () {
          if (state.paper && state.paper.paused) { shown = Date.now(); return draw(); }
          var elapsed = Math.floor((Date.now() - shown) / 1000);
          if (elapsed >= 1) { state.remaining = Math.max(0, state.remaining - elapsed); shown += elapsed * 1000; }
          draw();
          if (state.remaining <= 0 && !state.closed) { state.closed = true; flush(); setTimeout(load, 2000); }
        }, 250);
        // The server's clock wins: resynchronise every 30 seconds (pauses and extensions show up here).
        setInterval(function () { if (!state.closed) api('GET', '/api/v1/exam/attempt').then(function (r) {
          if (r.status === 200) { state.paper.paused = r.body.paused; state.remaining = r.body.remainingSeconds; $('paused').hidden = !r.body.paused;
            if (r.body.status !== 'in-progress') finish(r.body.status); }
        }).catch(function () {}); }, 30000);
      }
      function draw() {
        var s = state.remaining, el = $('clock');
        el.textContent = '剩余 ' + Math.floor(s / 3600) + ':' + ('0' + Math.floor(s % 3600 / 60)).slice(-2) + ':' + ('0' + s % 60).slice(-2);
        el.className = 'clock' + (s < 300 ? ' low' : '');
      }

      function answered(item) { var a = state.paper.answers[item.itemId]; return a && a.response.some(function (v) { return v !== ''; }); }
      function render() {
        var nav = $('navigator'); nav.innerHTML = '';
        state.paper.items.forEach(function (item, i) {
          var b = document.createElement('button'); b.type = 'button'; b.textContent = String(item.number);
          var a = state.paper.answers[item.itemId];
          b.className = (answered(item) ? 'answered ' : '') + (state.flags[item.itemId] ? 'flagged ' : '') + (a && a.pending ? 'pending ' : '') + (i === state.current ? 'current' : '');
          b.setAttribute('aria-label', '第 ' + item.number + ' 题' + (answered(item) ? '，已作答' : '，未作答'));
          b.addEventListener('click', function () { state.current = i; render(); });
          nav.appendChild(b);
        });
        var item = state.paper.items[state.current], box = $('item'), saved = state.paper.answers[item.itemId];
        var values = saved ? saved.response : [];
        box.innerHTML = '';
        var meta = document.createElement('div'); meta.className = 'meta';
        meta.textContent = '第 ' + item.number + ' / ' + state.paper.items.length + ' 题 · ' + (TYPES[item.type] || item.type) + ' · ' + item.points + ' 分';
        var stem = document.createElement('div'); stem.className = 'stem'; stem.textContent = item.stem;
        box.appendChild(meta); box.appendChild(stem);
        if (item.type === 'fill-in') {
          var input = document.createElement('input'); input.className = 'fill'; input.value = values[0] || ''; input.setAttribute('aria-label', '答案');
          var timer = null;
          input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { change(item, [input.value]); }, 400); });
          input.addEventListener('blur', function () { clearTimeout(timer); if ((values[0] || '') !== input.value) change(item, [input.value]); });
          box.appendChild(input);
        } else {
          var multiple = item.type === 'multiple-choice';
          item.options.forEach(function (o, k) {
            var label = document.createElement('label'); label.className = 'option';
            var input = document.createElement('input'); input.type = multiple ? 'checkbox' : 'radio'; input.name = 'answer'; input.value = String(o.index);
            input.checked = values.indexOf(String(o.index)) >= 0;
            input.addEventListener('change', function () {
              var chosen = Array.prototype.slice.call(box.querySelectorAll('input:checked')).map(function (x) { return x.value; });
              change(item, chosen);
            });
            var text = document.createElement('span'); text.textContent = (item.type === 'true-false' ? '' : String.fromCharCode(65 + k) + '. ') + o.text;
            label.appendChild(input); label.appendChild(text); box.appendChild(label);
          });
        }
        $('prev').disabled = state.current === 0; $('next').disabled = state.current === state.paper.items.length - 1;
        $('flag').textContent = state.flags[item.itemId] ? '取消标记' : '标记';
      }

      // Every change gets the next sequence number and goes to the journal before it is sent.
      function change(item, response) {
        if (state.closed) return;
        var entry = { itemId: item.itemId, response: response, seq: nextSeq() };
        var j = journal().filter(function (x) { return x.itemId !== item.itemId; }); j.push(entry); setJournal(j);
        state.paper.answers[item.itemId] = { response: response, seq: entry.seq, pending: true };
        saveState('pending', '保存中…'); renderNav(); flush();
      }
      function renderNav() { var keep = state.current; render(); state.current = keep; }
      function saveState(cls, text) { var el = $('save-state'); el.className = 'save-state ' + cls; el.textContent = text; }

      function flush() {
        if (state.inflight || !state.paper) return;
        var j = journal();
        if (!j.length) { saveState('saved', '已保存'); return; }
        var entry = j[0]; state.inflight = true;
        api('PUT', '/api/v1/exam/attempt/answers/' + entry.itemId, { response: entry.response, seq: entry.seq }).then(function (r) {
          state.inflight = false;
          if (r.status === 200 || r.status === 409 || r.status === 404 || r.status === 422) {
            var rest = journal().filter(function (x) { return !(x.itemId === entry.itemId && x.seq <= entry.seq); }); setJournal(rest);
            var a = state.paper.answers[entry.itemId];
            if (a && a.seq <= entry.seq) a.pending = false;
            if (r.status === 200) { state.remaining = r.body.remainingSeconds; state.paper.paused = r.body.paused; $('paused').hidden = !r.body.paused; }
            if (r.status === 409) { finish('submitted'); return; }
            state.retry = 0; renderNav(); flush();
          } else if (r.status === 401) { sessionStorage.removeItem('exam.token'); state.token = null; show('login');
            $('login-error').textContent = '登录已在其他设备生效或已失效，请举手请监考员授权后重新登录';
          } else { offline(); }
        }).catch(function () { state.inflight = false; offline(); });
      }
      function offline() {
        saveState('offline', '网络中断：答案暂存本机（' + journal().length + ' 条待保存），恢复后自动补交');
        state.retry = Math.min(state.retry + 1, 5); setTimeout(flush, 1000 * state.retry);
      }
      window.addEventListener('online', function () { state.retry = 0; flush(); });

      function finish(status) {
        state.closed = true; if (state.tick) clearInterval(state.tick);
        $('done-text').textContent = status === 'terminated' ? '本场考试已由监考员终止，已作答的内容已保存。' : '您的答案已全部提交。成绩由考务部门统一发布。';
        show('done'); sessionStorage.removeItem('exam.token');
      }

      $('prev').addEventListener('click', function () { if (state.current > 0) { state.current--; render(); } });
      $('next').addEventListener('click', function () { if (state.current < state.paper.items.length - 1) { state.current++; render(); } });
      $('flag').addEventListener('click', function () { var id = state.paper.items[state.current].itemId; state.flags[id] = !state.flags[id]; render(); });
      $('bigger').addEventListener('click', function () { var on = document.body.classList.toggle('big'); this.setAttribute('aria-pressed', String(on)); });
      document.addEventListener('keydown', function (e) {
        if ($('exam').hidden || e.target.tagName === 'INPUT' && e.target.type === 'text') return;
        if (e.key === 'ArrowRight') $('next').click(); else if (e.key === 'ArrowLeft') $('prev').click();
      });
      $('submit').addEventListener('click', function () {
        var open = state.paper.items.filter(function (i) { return !answered(i); }).length;
        if (!window.confirm(open ? '还有 ' + open + ' 道题未作答，确定交卷吗？交卷后不能再修改。' : '确定交卷吗？交卷后不能再修改。')) return;
        var attempt = function () {
          if (journal().length) { flush(); setTimeout(attempt, 500); return; }
          api('POST', '/api/v1/exam/attempt/submit').then(function (r) { if (r.status === 200) finish(r.body.status); else alert('交卷未成功，请重试或举手示意监考员'); })
            .catch(function () { alert('网络中断，交卷未成功。答案已保存的部分不会丢失，请稍后再点交卷。'); });
        };
        attempt();
      });

      if (state.token) load(); else show('login');
    })();
    """#
}
