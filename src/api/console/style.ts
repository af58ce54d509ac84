// The console's one style sheet, served at /console/static/console.css (the CSP allows no
// inline style). Colours keep WCAG 2.1 AA contrast (4.5:1 for text), which axe checks.
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,"WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;color:#1a1a1a;background:#f6f7f9;line-height:1.5}
a{color:#0b57d0}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header{display:flex;flex-wrap:wrap;align-items:center;gap:16px;background:#1f2937;color:#fff;padding:8px 16px}
header a{color:#fff}
header .brand{font-weight:700;margin-right:auto}
nav ul{display:flex;flex-wrap:wrap;gap:12px;list-style:none;margin:0;padding:0}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.5rem}
h2{font-size:1.2rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d0d4da;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef0f3}
form.stack label{display:block;margin-top:8px;font-weight:600}
form.stack input[type=text],form.stack input[type=password],form.stack input[type=email],form.stack select,form.stack textarea{width:100%;max-width:640px;padding:4px}
textarea{font-family:monospace}
button{margin-top:8px;padding:4px 12px;cursor:pointer}
.inline{display:inline}
.error{border:1px solid #b3261e;background:#fdecea;color:#8c1d18;padding:8px;margin:8px 0}
.notice{border:1px solid #0b57d0;background:#e8f0fe;padding:8px;margin:8px 0}
.muted{color:#4a4f57}
code,.mono{font-family:monospace;word-break:break-all}
pre{background:#fff;border:1px solid #d0d4da;padding:8px;overflow:auto}
.lang a{margin-left:8px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
`;
