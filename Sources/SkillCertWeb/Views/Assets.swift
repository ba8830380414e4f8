/// The stylesheet and the small script, served from memory so the binary needs no resource folder.
enum Assets {
    static let css = """
    :root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--brand:#b42318;--brand2:#7a1a12;--ok:#1e7b34;--bg:#f5f7fa}
    *{box-sizing:border-box}body{margin:0;font:15px/1.6 "Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:var(--ink);background:var(--bg)}
    a{color:var(--brand2)}header.top{display:flex;justify-content:space-between;align-items:center;background:var(--brand);color:#fff;padding:.6rem 1.2rem}
    header.top a{color:#fff;text-decoration:none}.brand{font-weight:700;font-size:1.1rem}.top-right{display:flex;gap:1rem;align-items:center}
    .who{opacity:.9}.shell{display:flex;min-height:calc(100vh - 100px)}nav.side{width:220px;background:#fff;border-right:1px solid var(--line);padding:1rem 0}
    .nav-group{margin-bottom:1rem}.nav-title{font-size:.8rem;color:var(--muted);padding:0 1rem;text-transform:uppercase}
    nav.side a{display:block;padding:.35rem 1rem;color:var(--ink);text-decoration:none}nav.side a.active,nav.side a:hover{background:#fdecea;color:var(--brand2);border-left:3px solid var(--brand)}
    main{flex:1;padding:1.2rem 2rem;max-width:1200px}h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin-top:1.6rem}
    footer{text-align:center;color:var(--muted);font-size:.8rem;padding:1rem}
    table{border-collapse:collapse;width:100%;background:#fff}th,td{border:1px solid var(--line);padding:.4rem .6rem;text-align:left;vertical-align:top}
    th{background:#eef2f7;font-weight:600}tr:nth-child(even) td{background:#fafbfc}
    .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:1rem}.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:1rem}
    .card .num{font-size:1.8rem;font-weight:700}.muted{color:var(--muted)}.field{margin:.6rem 0}.field label{display:block;font-weight:600}
    input,select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #9aa5b1;border-radius:4px;min-width:16rem;max-width:100%}input[type=checkbox],input[type=radio]{min-width:0;width:auto;padding:0;vertical-align:middle}
    button,.button{font:inherit;background:var(--brand);color:#fff;border:0;border-radius:4px;padding:.45rem 1rem;cursor:pointer;text-decoration:none;display:inline-block}
    button.secondary,.button.secondary{background:#fff;color:var(--brand2);border:1px solid var(--brand2)}button.link{background:none;color:#fff;padding:0;text-decoration:underline}
    form.inline{display:inline}.req{color:var(--brand)}.field-error{color:var(--brand);margin:.2rem 0}.has-error input,.has-error select{border-color:var(--brand)}
    .hint{color:var(--muted);font-size:.85rem;margin:.2rem 0}.alert{padding:.7rem 1rem;border-radius:4px;margin:1rem 0}.alert-error{background:#fdecea;border:1px solid #f5b5ae}
    .alert-ok{background:#e6f4ea;border:1px solid #a8d5b5}.badge{display:inline-block;padding:0 .5rem;border-radius:10px;font-size:.8rem;background:#eef2f7;margin:0 .2rem .2rem 0;white-space:nowrap}
    .badge.ok{background:#e6f4ea;color:var(--ok)}.badge.bad{background:#fdecea;color:var(--brand)}.pager{display:flex;gap:1rem;margin:.8rem 0;align-items:center}
    .filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:flex-end;background:#fff;border:1px solid var(--line);padding:.6rem;margin-bottom:.8rem}
    .filters input,.filters select{min-width:10rem}.actions{display:flex;gap:.6rem;flex-wrap:wrap;margin:.8rem 0}
    .login{max-width:420px;margin:3rem auto;background:#fff;border:1px solid var(--line);border-radius:8px;padding:1.5rem 2rem}
    .error-page main{max-width:640px;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px}.status{font-size:3rem;color:var(--brand);margin:0}
    .cal{display:grid;grid-template-columns:repeat(7,1fr);gap:2px;font-size:.8rem}.cal div{background:#fff;padding:.2rem;text-align:center}
    .cal .off{background:#fdecea;color:var(--brand2)}.cal .work{background:#e6f4ea}.cal .wk{color:var(--muted)}.months{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:1rem}
    pre.explanation{white-space:pre-wrap;font:inherit;margin:.5rem 0 0}table.elements th{background:#f3f5f8}h3{font-size:1rem;margin-top:1.2rem}
    input.bad{border-color:var(--brand)}table.form-grid input,table.form-grid select{min-width:8rem}details{margin:1rem 0}summary{cursor:pointer;font-weight:600}
    code,.mono{font-family:"Noto Sans Mono",monospace;font-size:.85rem;word-break:break-all}
    form.sheet .crit{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.5rem .7rem}form.sheet .crit input{min-width:7rem;width:8rem;font-size:1.1rem}
    label.veto{display:inline-block;margin-left:.8rem;font-weight:400;color:var(--brand2)}table.sheet-table{margin:.6rem 0}table.sheet-table caption{text-align:left;font-weight:600;padding:.3rem 0}
    .card form textarea,.card form input{min-width:0;width:100%}
    @media (max-width:800px){.shell{display:block}nav.side{width:auto;border-right:0;padding:.3rem .4rem;border-bottom:1px solid var(--line)}main{padding:1rem}
    table{display:block;overflow-x:auto}.filters{flex-wrap:wrap}.nav-group{display:inline;margin:0}.nav-title{display:none}
    nav.side a{display:inline-block;padding:.15rem .5rem}nav.side a.active,nav.side a:hover{border-left:0;border-bottom:2px solid var(--brand)}}
    @media print{header.top,nav.side,footer,.actions,.filters,.pager{display:none}main{padding:0}}
    """

    static let js = """
    // Asks before destructive actions: any form or button with data-confirm.
    document.addEventListener('submit', function (e) {
      var msg = e.target.getAttribute('data-confirm');
      if (msg && !window.confirm(msg)) { e.preventDefault(); return; }
      // A long upload says it is working: buttons with data-busy show that text once the form is sent.
      var busy = e.target.querySelector('button[data-busy]');
      if (busy) { busy.textContent = busy.getAttribute('data-busy'); busy.disabled = true; }
    });
    """
}
