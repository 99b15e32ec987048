#!/usr/bin/env python3
"""Generate rxd's AFS RPC marshalling (C types, XDR codecs, opcodes, server
dispatch, client request/reply codecs) from .xg definitions.

Usage: rxgen.py OUT.h OUT.c IN.xg...   (meson runs it at build time)

The language is the part of OpenAFS rxgen's (src/rxgen) that the AFS file,
callback and volume-location interfaces use; doc/afs-xdr.md describes it and
how it maps to C.  All inputs make one output pair, so types defined in one
file (common.xg) serve the packages of the others.
"""
import re
import sys

# .xg scalar -> (C type, runtime suffix of rxd_xput_/rxd_xget_, wire bytes)
PRIMS = {
    "afs_int32": ("int32_t", "i32", 4),
    "afs_uint32": ("uint32_t", "u32", 4),
    "int": ("int32_t", "i32", 4),
    "u_int": ("uint32_t", "u32", 4),
    "afs_int64": ("int64_t", "i64", 8),
    "afs_uint64": ("uint64_t", "u64", 8),
    "short": ("int16_t", "i16", 4),
    "u_short": ("uint16_t", "u16", 4),
    "afs_int16": ("int16_t", "i16", 4),
    "afs_uint16": ("uint16_t", "u16", 4),
    "char": ("char", "char", 4),
    "u_char": ("uint8_t", "u8", 4),
}

TOKEN = re.compile(
    r"\s+|/\*.*?\*/|//[^\n]*|(?P<num>0[xX][0-9a-fA-F]+|\d+)|(?P<id>[A-Za-z_]\w*)|(?P<p>[{}()<>\[\];,=*-])", re.S
)


class XgError(Exception):
    pass


def tokenize(text, fname):
    toks, pos, line = [], 0, 1
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise XgError("%s:%d: unexpected %r" % (fname, line, text[pos : pos + 10]))
        if m.lastgroup:
            toks.append((m.lastgroup, m.group(m.lastgroup), "%s:%d" % (fname, line)))
        line += m.group(0).count("\n")
        pos = m.end()
    return toks


class Decl:
    """A declaration: a struct field, typedef body or procedure argument.
    kind: scalar | fixed (T x[N]) | var (T x<N>) | string | fopaque | opaque"""

    def __init__(self, name, base, kind, bound=None):
        self.name, self.base, self.kind, self.bound = name, base, kind, bound


class Proc:
    def __init__(self, pkg, name, ins, outs, split, opcode):
        self.pkg, self.name, self.ins, self.outs, self.split, self.opcode = pkg, name, ins, outs, split, opcode


class Parser:
    def __init__(self):
        self.consts = {}  # name -> int
        self.const_order = []
        self.types = {}  # name -> ('struct', [Decl]) | ('alias', Decl) | ('enum', [(name, value)])
        self.type_order = []
        self.procs = []
        self.pkg = None

    def parse(self, text, fname):
        self.toks, self.i = tokenize(text, fname), 0
        while self.i < len(self.toks):
            self.top()

    def where(self):
        return self.toks[min(self.i, len(self.toks) - 1)][2]

    def fail(self, msg):
        raise XgError("%s: %s" % (self.where(), msg))

    def peek(self):
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def next(self):
        if self.i >= len(self.toks):
            self.fail("unexpected end of file")
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, v):
        t = self.next()
        if t[1] != v:
            self.fail("expected %r, got %r" % (v, t[1]))

    def ident(self):
        t = self.next()
        if t[0] != "id":
            self.fail("expected a name, got %r" % t[1])
        return t[1]

    def value(self):
        neg = self.peek() == "-"
        if neg:
            self.next()
        t = self.next()
        if t[0] == "num":
            v = int(t[1], 0)
        elif t[1] in self.consts:
            v = self.consts[t[1]]
        else:
            self.fail("unknown constant %r" % t[1])
        return -v if neg else v

    def top(self):
        kw = self.ident()
        if kw == "package":
            self.pkg = self.ident()
        elif kw in ("prefix", "statindex"):
            self.next()  # rxgen's server-stub prefix and statistics index: nothing to generate
        elif kw == "const":
            name = self.ident()
            self.expect("=")
            self.add_const(name, self.value())
            self.expect(";")
            return
        elif kw == "struct":
            name = self.ident()
            self.expect("{")
            fields = []
            while self.peek() != "}":
                fields.append(self.decl())
                self.expect(";")
            self.expect("}")
            self.add_type(name, ("struct", fields))
        elif kw == "typedef":
            d = self.decl()
            if d.kind == "fixed" or (d.kind == "string"):
                self.fail("typedef of a fixed array or string is not supported: use a struct field")
            self.add_type(d.name, ("alias", d))
        elif kw == "enum":
            name = self.ident()
            self.expect("{")
            vals = []
            while True:
                n = self.ident()
                self.expect("=")
                v = self.value()
                self.add_const(n, v)
                vals.append(n)
                if self.peek() == ",":
                    self.next()
                    continue
                break
            self.expect("}")
            self.add_type(name, ("enum", vals))
        else:
            self.proc(kw)
            return
        if self.peek() == ";":
            self.next()

    def add_const(self, name, v):
        if name in self.consts:
            self.fail("constant %s defined twice" % name)
        self.consts[name] = v
        self.const_order.append(name)

    def add_type(self, name, t):
        if name in self.types or name in PRIMS:
            self.fail("type %s defined twice" % name)
        self.types[name] = t
        self.type_order.append(name)

    def typename(self):
        t = self.ident()
        if t == "unsigned":
            t = "u_" + self.ident()
        elif t == "struct":
            t = self.ident()
        if t not in PRIMS and t not in self.types and t not in ("string", "opaque"):
            self.fail("unknown type %r" % t)
        return t

    def decl(self):
        base = self.typename()
        if self.peek() == "*":
            self.next()  # rxgen's by-reference marker: same wire form
        name = self.ident()
        kind, bound = "scalar", None
        if self.peek() in ("[", "<"):
            close = "]" if self.next()[1] == "[" else ">"
            if self.peek() == close:
                self.fail("%s: unbounded arrays are not accepted: give every array a bound" % name)
            bound = self.value()
            self.expect(close)
            if bound <= 0:
                self.fail("%s: bound must be positive" % name)
            if base == "string":
                kind = "string" if close == ">" else None
            elif base == "opaque":
                kind = "opaque" if close == ">" else "fopaque"
            else:
                kind = "var" if close == ">" else "fixed"
            if kind is None:
                self.fail("%s: string needs <bound>" % name)
        elif base in ("string", "opaque"):
            self.fail("%s: %s needs a bound" % (name, base))
        return Decl(name, base, kind, bound)

    def proc(self, name):
        if not self.pkg:
            self.fail("procedure %s before any package" % name)
        self.expect("(")
        ins, outs, cur = [], [], None
        while self.peek() != ")":
            if self.peek() in ("IN", "OUT", "INOUT"):
                cur = self.next()[1]
                if cur == "INOUT":
                    self.fail("INOUT is not supported")
            if cur is None:
                self.fail("%s: argument without IN or OUT" % name)
            d = self.decl()
            if d.kind == "fixed":
                self.fail("%s: fixed array argument: wrap it in a struct" % name)
            (ins if cur == "IN" else outs).append(d)
            if self.peek() == ",":
                self.next()
        self.expect(")")
        split = False
        if self.peek() == "split":
            self.next()
            split = True
        self.expect("=")
        op = self.value()
        self.expect(";")
        for p in self.procs:
            if p.pkg == self.pkg and (p.opcode == op or p.name == name):
                self.fail("%s%s: opcode or name used twice" % (self.pkg, name))
        self.procs.append(Proc(self.pkg, name, ins, outs, split, op))


class Gen:
    def __init__(self, ps):
        self.ps = ps
        self.h, self.c = [], []

    # --- type properties ---
    def resolve(self, base):
        """Follow scalar aliases and enums to a primitive name, or return base."""
        while base in self.ps.types:
            t = self.ps.types[base]
            if t[0] == "enum":
                return "afs_int32"
            if t[0] == "alias" and t[1].kind == "scalar":
                base = t[1].base
                continue
            break
        return base

    def ctype(self, base):
        r = self.resolve(base)
        if r in PRIMS:
            return PRIMS[r][0]
        return "struct rxd_%s" % r

    def is_fixed(self, d):
        """Wire size independent of the value."""
        if d.kind in ("var", "string", "opaque"):
            return False
        return self.type_fixed(self.resolve(d.base)) if d.kind != "fopaque" else True

    def type_fixed(self, base):
        base = self.resolve(base)
        if base in PRIMS:
            return True
        t = self.ps.types[base]
        if t[0] == "alias":
            return self.is_fixed(t[1])
        return all(self.is_fixed(f) for f in t[1])

    def wire(self, d, which):
        """Min or max wire bytes of a declaration."""
        pad = lambda n: (n + 3) & ~3
        if d.kind == "string" or d.kind == "opaque":
            return 4 + (pad(d.bound) if which == "max" else 0)
        if d.kind == "fopaque":
            return pad(d.bound)
        one = self.type_wire(d.base, which)
        if d.kind == "fixed":
            return d.bound * one
        if d.kind == "var":
            return 4 + (d.bound * one if which == "max" else 0)
        return one

    def type_wire(self, base, which):
        base = self.resolve(base)
        if base in PRIMS:
            return PRIMS[base][2]
        t = self.ps.types[base]
        if t[0] == "alias":
            return self.wire(t[1], which)
        return sum(self.wire(f, which) for f in t[1])

    def arena(self, d):
        """C expression: the most arena decoding this declaration can take."""
        if d.kind == "string":
            return "RXD_XDR_ALIGN(%d)" % (d.bound + 1)
        if d.kind == "opaque":
            return "RXD_XDR_ALIGN(%d)" % d.bound
        inner = self.type_arena(d.base)
        if d.kind == "var":
            s = "RXD_XDR_ALIGN((size_t)%d * sizeof(%s))" % (d.bound, self.ctype(d.base))
            return s if inner == "0" else "%s + (size_t)%d * (%s)" % (s, d.bound, inner)
        if d.kind == "fixed" and inner != "0":
            return "(size_t)%d * (%s)" % (d.bound, inner)
        return inner

    def type_arena(self, base):
        base = self.resolve(base)
        if base in PRIMS:
            return "0"
        t = self.ps.types[base]
        parts = [t[1]] if t[0] == "alias" else t[1]
        exprs = [e for e in (self.arena(f) for f in parts) if e != "0"]
        return " + ".join(exprs) if exprs else "0"

    # --- C declarations ---
    def cdecl(self, d, ind="\t"):
        ct = self.ctype(d.base) if d.base not in ("string", "opaque") else None
        if d.kind == "scalar":
            return "%s%s %s;" % (ind, ct, d.name)
        if d.kind == "fixed":
            return "%s%s %s[%d];" % (ind, ct, d.name, d.bound)
        if d.kind == "fopaque":
            return "%suint8_t %s[%d];" % (ind, d.name, d.bound)
        if d.kind == "string":
            return "%schar *%s; /* at most %d bytes */" % (ind, d.name, d.bound)
        if d.kind == "opaque":
            return "%sstruct {\n%s\tuint32_t len; /* at most %d */\n%s\tuint8_t *val;\n%s} %s;" % (
                ind, ind, d.bound, ind, ind, d.name)
        return "%sstruct {\n%s\tuint32_t len; /* at most %d */\n%s\t%s *val;\n%s} %s;" % (
            ind, ind, d.bound, ind, ct, ind, d.name)

    # --- codec statements ---
    def enc_stmts(self, d, x, checked, ind):
        """Statements encoding declaration d whose lvalue is x."""
        out = []
        r = self.resolve(d.base) if d.base not in ("string", "opaque") else d.base
        if d.kind == "string":
            return ["%sRXD_XTRY(rxd_xenc_string(e, %s, %d));" % (ind, x, d.bound)]
        if d.kind == "opaque":
            return ["%sRXD_XTRY(rxd_xenc_opaque(e, %s.val, %s.len, %d));" % (ind, x, x, d.bound)]
        if d.kind == "fopaque":
            return ["%sRXD_XTRY(rxd_xenc_fopaque(e, %s, %d));" % (ind, x, d.bound)]
        if d.kind == "fixed":
            out.append("%sfor (i = 0; i < %d; i++) {" % (ind, d.bound))
            out += self.enc_one(r, "%s[i]" % x, checked, ind + "\t")
            return out + [ind + "}"]
        if d.kind == "var":
            out.append("%sif (%s.len > %d)" % (ind, x, d.bound))
            out.append("%s\treturn -EINVAL;" % ind)
            out.append("%sRXD_XTRY(rxd_xenc_u32(e, %s.len));" % (ind, x))
            out.append("%sfor (i = 0; i < %s.len; i++) {" % (ind, x))
            out += self.enc_one(r, "%s.val[i]" % x, True, ind + "\t")
            return out + [ind + "}"]
        return self.enc_one(r, x, checked, ind)

    def enc_one(self, r, x, checked, ind):
        if r not in PRIMS:
            return ["%sRXD_XTRY(rxd_enc_%s(e, &%s));" % (ind, r, x)]
        put = "%srxd_xput_%s(e, %s);" % (ind, PRIMS[r][1], x)
        if not checked:
            return [put]
        return ["%sif (rxd_xenc_room(e) < %d)" % (ind, PRIMS[r][2]), "%s\treturn -ENOSPC;" % ind, put]

    def dec_stmts(self, d, x, checked, ind):
        out = []
        r = self.resolve(d.base) if d.base not in ("string", "opaque") else d.base
        if d.kind == "string":
            return ["%sRXD_XTRY(rxd_xdec_string(d, &%s, %d));" % (ind, x, d.bound)]
        if d.kind == "opaque":
            return ["%sRXD_XTRY(rxd_xdec_opaque(d, &%s.val, &%s.len, %d));" % (ind, x, x, d.bound)]
        if d.kind == "fopaque":
            return ["%sRXD_XTRY(rxd_xdec_fopaque(d, %s, %d));" % (ind, x, d.bound)]
        if d.kind == "fixed":
            out.append("%sfor (i = 0; i < %d; i++) {" % (ind, d.bound))
            out += self.dec_one(r, "%s[i]" % x, checked, ind + "\t")
            return out + [ind + "}"]
        if d.kind == "var":
            minw = max(self.type_wire(r, "min"), 1)
            out.append("%sRXD_XTRY(rxd_xdec_count(d, %d, %d, &%s.len));" % (ind, d.bound, minw, x))
            out.append("%s%s.val = rxd_xdec_alloc(d, (size_t)%s.len * sizeof(*%s.val));" % (ind, x, x, x))
            out.append("%sif (!%s.val && %s.len)" % (ind, x, x))
            out.append("%s\treturn -ENOBUFS;" % ind)
            out.append("%sfor (i = 0; i < %s.len; i++) {" % (ind, x))
            out += self.dec_one(r, "%s.val[i]" % x, True, ind + "\t")
            return out + [ind + "}"]
        return self.dec_one(r, x, checked, ind)

    def dec_one(self, r, x, checked, ind):
        if r not in PRIMS:
            return ["%sRXD_XTRY(rxd_dec_%s(d, &%s));" % (ind, r, x)]
        get = "%s%s = rxd_xget_%s(d);" % (ind, x, PRIMS[r][1])
        if not checked:
            return [get]
        return ["%sif (rxd_xdec_left(d) < %d)" % (ind, PRIMS[r][2]), "%s\treturn -EBADMSG;" % ind, get]

    def body(self, decls, prefix, enc, name_fmt):
        """Function body over decls; a run of fixed-size scalars is checked once."""
        lines, loop = [], any(d.kind in ("fixed", "var") for d in decls)
        if loop:
            lines.append("\tuint32_t i;\n")
        # group consecutive fixed-size primitive-only declarations
        run, runw = [], 0

        def flush():
            nonlocal run, runw
            if not run:
                return
            if enc:
                lines.append("\tif (rxd_xenc_room(e) < %d)" % runw)
                lines.append("\t\treturn -ENOSPC;")
            else:
                lines.append("\tif (rxd_xdec_left(d) < %d)" % runw)
                lines.append("\t\treturn -EBADMSG;")
            for d in run:
                x = name_fmt % (prefix, d.name)
                lines.extend((self.enc_stmts if enc else self.dec_stmts)(d, x, False, "\t"))
            run, runw = [], 0

        for d in decls:
            prim = d.kind in ("scalar", "fixed") and self.resolve(d.base) in PRIMS
            if prim:
                run.append(d)
                runw += self.wire(d, "max")
                continue
            flush()
            x = name_fmt % (prefix, d.name)
            lines.extend((self.enc_stmts if enc else self.dec_stmts)(d, x, True, "\t"))
        flush()
        lines.append("\treturn 0;")
        return lines

    def func(self, sig, lines, static=False):
        self.c.append(("static " if static else "") + sig)
        self.c.append("{")
        self.c.extend(lines)
        self.c.append("}\n")

    # --- output ---
    def run(self, hname):
        ps, h, c = self.ps, self.h, self.c
        guard = "RXD_" + re.sub(r"\W", "_", hname).upper()
        h += ["/* Generated by scripts/rxgen.py from lib/afs/ (.xg files): do not edit. */",
              "#ifndef " + guard, "#define " + guard, "", "#include \"afs_xdr.h\"", ""]
        c += ["/* Generated by scripts/rxgen.py from lib/afs/ (.xg files): do not edit. */",
              "#include <string.h>", "", "#include \"%s\"" % hname, ""]
        for n in ps.const_order:
            h.append("#define RXD_%s %d" % (n, ps.consts[n]))
        h.append("")
        for n in ps.type_order:
            self.gen_type(n)
        pkgs = []
        for p in ps.procs:
            if p.pkg not in pkgs:
                pkgs.append(p.pkg)
        for pkg in pkgs:
            self.gen_pkg(pkg, sorted([p for p in ps.procs if p.pkg == pkg], key=lambda p: p.opcode))
        h.append("#endif")

    def gen_type(self, n):
        t, h = self.ps.types[n], self.h
        if t[0] == "enum":
            h.append("typedef int32_t rxd_%s;\n" % n)
            return
        if t[0] == "alias" and t[1].kind == "scalar":
            h.append("typedef %s rxd_%s;\n" % (self.ctype(t[1].base), n))
            return
        h.append("/* %s: %s%d wire bytes */" % (
            n, "" if self.type_fixed(n) else "%d to " % self.type_wire(n, "min"), self.type_wire(n, "max")))
        if t[0] == "struct":
            h.append("struct rxd_%s {" % n)
            h.extend(self.cdecl(f) for f in t[1])
            h.append("};")
            fields, pre, fmt = t[1], "v", "%s->%s"
        else:
            d = t[1]
            elem = "uint8_t" if d.kind == "opaque" else self.ctype(d.base)
            h.append("struct rxd_%s {\n\tuint32_t len; /* at most %d */\n\t%s *val;\n};" % (n, d.bound, elem))
            # the alias body is the struct itself: encode it as one unnamed field
            fields, pre, fmt = [Decl("", d.base, d.kind, d.bound)], "(*v)", "%s%s"
        h.append("#define RXD_%s_WIRE_MAX %d" % (n, self.type_wire(n, "max")))
        h.append("#define RXD_%s_ARENA (%s)" % (n, self.type_arena(n)))
        h.append("int rxd_enc_%s(struct rxd_xenc *e, const struct rxd_%s *v);" % (n, n))
        h.append("int rxd_dec_%s(struct rxd_xdec *d, struct rxd_%s *v);\n" % (n, n))
        self.func("int rxd_enc_%s(struct rxd_xenc *e, const struct rxd_%s *v)" % (n, n),
                  self.body(fields, pre, True, fmt))
        self.func("int rxd_dec_%s(struct rxd_xdec *d, struct rxd_%s *v)" % (n, n),
                  self.body(fields, pre, False, fmt))

    def args_struct(self, p, dirn, decls):
        n = "rxd_%s%s_%s" % (p.pkg, p.name, dirn)
        self.h.append("struct %s {" % n)
        self.h.extend(self.cdecl(d) for d in decls)
        self.h.append("};")
        return n

    def gen_pkg(self, pkg, procs):
        h, c = self.h, self.c
        h.append("/* ---- package %s ---- */\n" % pkg)
        arenas, reqs, replies = [], [], []
        for p in procs:
            base = "rxd_%s%s" % (pkg, p.name)
            h.append("#define RXD_OP_%s%s %d%s" % (pkg, p.name, p.opcode, " /* split */" if p.split else ""))
            inmax = sum(self.wire(d, "max") for d in p.ins)
            outmax = sum(self.wire(d, "max") for d in p.outs)
            h.append("#define RXD_%s%s_IN_MAX %d /* wire bytes of the IN args, opcode excluded */" % (
                pkg, p.name, inmax))
            h.append("#define RXD_%s%s_OUT_MAX %d" % (pkg, p.name, outmax))
            reqs.append(4 + inmax)
            if not p.split:
                replies.append(outmax)
            for dirn, decls in (("in", p.ins), ("out", p.outs)):
                if not decls:
                    continue
                sn = self.args_struct(p, dirn, decls)
                ar = " + ".join(e for e in (self.arena(d) for d in decls) if e != "0") or "0"
                h.append("#define RXD_%s%s_%s_ARENA (%s)" % (pkg, p.name, dirn.upper(), ar))
                if dirn == "in":
                    arenas.append("RXD_%s%s_IN_ARENA" % (pkg, p.name))
                for enc in (True, False):
                    fn = "%s_%s_%s" % (base, "enc" if enc else "dec", dirn)
                    sig = "int %s(struct rxd_xenc *e, const struct %s *v)" % (fn, sn) if enc else \
                        "int %s(struct rxd_xdec *d, struct %s *v)" % (fn, sn)
                    h.append(sig + ";")
                    self.func(sig, self.body(decls, "v", enc, "%s->%s"))
                    # the untyped form for rxd_xg_proc tables
                    vsig = "int %s_v(struct rxd_xenc *e, const void *v)" % fn if enc else \
                        "int %s_v(struct rxd_xdec *d, void *v)" % fn
                    self.func(vsig, ["\treturn %s(%s, v);" % (fn, "e" if enc else "d")], static=True)
            # client side: the whole request
            insig = ", const struct %s_in *in" % base if p.ins else ""
            sig = "int %s_enc_req(struct rxd_xenc *e%s)" % (base, insig)
            h.append("/* client: opcode + IN args; the reply (after any stream) is %s */" % (
                "%s_dec_out" % base if p.outs else "empty"))
            h.append(sig + ";\n")
            self.func(sig, ["\tRXD_XTRY(rxd_xenc_u32(e, RXD_OP_%s%s));" % (pkg, p.name),
                            "\treturn %s;" % ("%s_enc_in(e, in)" % base if p.ins else "0")])
        # handlers, dispatch, table
        h.append("#define RXD_%sREQ_MAX %d /* opcode + IN args of any procedure */" % (pkg, max(reqs)))
        h.append("#define RXD_%sREPLY_MAX %d /* OUT args of any non-split procedure */" % (
            pkg, max(replies) if replies else 0))
        h.append("union rxd_%sarena_u {\n\tchar none_;\n%s\n};" % (
            pkg, "\n".join("\tchar %s[%s + 1];" % (a.split("_", 1)[1].lower(), a) for a in arenas)))
        h.append("#define RXD_%sARENA_MAX sizeof(union rxd_%sarena_u) /* arena for any IN args */\n" % (pkg, pkg))
        h.append("/*\n * Server handlers of package %s: return 0 (the OUT args are sent) or an\n"
                 " * abort code.  A NULL handler aborts its opcode with RXD_RXGEN_OPCODE.\n"
                 " * *in lives only during the handler (its strings and arrays point into\n"
                 " * call->arena).  A split procedure's handler gets the call instead of OUT\n"
                 " * args: it owns the call from then on (the stream follows call->req_used)\n"
                 " * and sends the OUT args itself with rxd_<proc>_enc_out when done.\n */" % pkg)
        h.append("struct rxd_%shandlers {" % pkg)
        for p in procs:
            base = "rxd_%s%s" % (pkg, p.name)
            args = ["void *ctx"]
            if p.ins:
                args.append("const struct %s_in *in" % base)
            if p.split:
                args.append("struct rxd_xg_call *call")
            elif p.outs:
                args.append("struct %s_out *out" % base)
            h.append("\tint32_t (*%s)(%s);" % (p.name, ", ".join(args)))
        h.append("};\n")
        h.append("/* Decode the request, run its handler, encode the reply into call->reply.\n"
                 " * Returns 0 or the abort code for the call: RXD_RXGEN_OPCODE for an unknown\n"
                 " * opcode, RXD_RXGEN_SS_UNMARSHAL for bad IN args, RXD_RXGEN_SS_MARSHAL if\n"
                 " * the reply does not fit, or the handler's code. */")
        dsig = "int32_t rxd_%sdispatch(const struct rxd_%shandlers *h, void *ctx, struct rxd_xg_call *call)" % (
            pkg, pkg)
        h.append(dsig + ";")
        h.append("extern const struct rxd_xg_proc rxd_%sprocs[%d];\n" % (pkg, len(procs)))
        h.append("union rxd_%sin_u {\n\tchar none_;" % pkg)
        h.extend("\tstruct rxd_%s%s_in %s;" % (pkg, p.name, p.name) for p in procs if p.ins)
        h.append("};")
        h.append("union rxd_%sout_u {\n\tchar none_;" % pkg)
        h.extend("\tstruct rxd_%s%s_out %s;" % (pkg, p.name, p.name) for p in procs if p.outs and not p.split)
        h.append("};\n")
        lines = ["\tunion rxd_%sin_u in;" % pkg, "\tunion rxd_%sout_u out;" % pkg,
                 "\tstruct rxd_xdec d;", "\tstruct rxd_xenc e;", "\tint32_t rc = rxd_xg_begin(call, &d);", "",
                 "\tif (rc)", "\t\treturn rc;", "\tswitch (call->opcode) {"]
        for p in procs:
            base = "rxd_%s%s" % (pkg, p.name)
            lines.append("\tcase RXD_OP_%s%s:" % (pkg, p.name))
            lines.append("\t\tif (!h->%s)" % p.name)
            lines.append("\t\t\treturn RXD_RXGEN_OPCODE;")
            args = ["ctx"]
            if p.ins:
                lines.append("\t\tmemset(&in.%s, 0, sizeof(in.%s));" % (p.name, p.name))
                lines.append("\t\tif (%s_dec_in(&d, &in.%s) < 0)" % (base, p.name))
                lines.append("\t\t\treturn RXD_RXGEN_SS_UNMARSHAL;")
                args.append("&in.%s" % p.name)
            lines.append("\t\tcall->req_used = (size_t)(d.p - call->req);")
            if p.split:
                args.append("call")
                lines.append("\t\treturn h->%s(%s);" % (p.name, ", ".join(args)))
                continue
            if p.outs:
                lines.append("\t\tmemset(&out.%s, 0, sizeof(out.%s));" % (p.name, p.name))
                args.append("&out.%s" % p.name)
            lines.append("\t\trc = h->%s(%s);" % (p.name, ", ".join(args)))
            lines.append("\t\tif (rc)")
            lines.append("\t\t\treturn rc;")
            lines.append("\t\trxd_xg_reply_begin(call, &e);")
            lines.append("\t\treturn rxd_xg_reply_end(call, &e, %s);" % (
                "%s_enc_out(&e, &out.%s)" % (base, p.name) if p.outs else "0"))
        lines += ["\tdefault:", "\t\treturn RXD_RXGEN_OPCODE;", "\t}", "}"]
        c.append(dsig)
        c.append("{")
        c.extend(lines)
        c.append("")
        c.append("const struct rxd_xg_proc rxd_%sprocs[%d] = {" % (pkg, len(procs)))
        for p in procs:
            base = "rxd_%s%s" % (pkg, p.name)
            fns = []
            for dirn, decls in (("in", p.ins), ("out", p.outs)):
                for k in ("enc", "dec"):
                    fns.append("%s_%s_%s_v" % (base, k, dirn) if decls else "NULL")
            c.append("\t{%d, %s, \"%s%s\", %s, %s, %s, %s, %s}," % (
                p.opcode, "true" if p.split else "false", pkg, p.name,
                "sizeof(struct %s_in)" % base if p.ins else "0",
                "sizeof(struct %s_out)" % base if p.outs else "0",
                "RXD_%s%s_IN_ARENA" % (pkg, p.name) if p.ins else "0",
                "RXD_%s%s_OUT_ARENA" % (pkg, p.name) if p.outs else "0", ", ".join(fns)))
        c.append("};\n")


def main():
    if len(sys.argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    ps = Parser()
    try:
        for f in sys.argv[3:]:
            with open(f) as fh:
                ps.parse(fh.read(), f)
        g = Gen(ps)
        hname = sys.argv[1].rsplit("/", 1)[-1]
        g.run(hname)
    except XgError as e:
        sys.stderr.write("rxgen: %s\n" % e)
        return 1
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(g.h) + "\n")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(g.c) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
