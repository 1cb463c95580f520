// SPDX-License-Identifier: Apache-2.0
#include "routing/expression.h"

#include <array>
#include <cctype>
#include <charconv>
#include <string>

namespace sb::routing {

std::uint32_t NameTable::intern(std::string_view name) {
  auto it = ids_.find(std::string(name));
  if (it != ids_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(names_.size());
  names_.emplace_back(name);
  ids_.emplace(std::string(name), id);
  return id;
}

std::optional<std::uint32_t> NameTable::find(std::string_view name) const {
  auto it = ids_.find(std::string(name));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

namespace {

// Evaluation stack depth is bounded at parse time so evaluate() can use a fixed array.
constexpr std::size_t kMaxDepth = 32;

enum class Tok : std::uint8_t {
  End, Ident, String, Number, LParen, RParen, LBracket, RBracket, Comma,
  Eq, Ne, Lt, Le, Gt, Ge, And, Or, Not, In, Has, Contains,
};

struct Token {
  Tok kind = Tok::End;
  std::size_t pos = 0;
  std::string_view text;
  std::string value;  // unescaped string literal
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::optional<double> toNumber(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

class ExpressionParser {
 public:
  ExpressionParser(std::string_view text, NameTable& names, Expression& out)
      : text_(text), names_(names), out_(out) {}

  Status run() {
    SB_TRY(next());
    if (cur_.kind == Tok::End) return {};  // empty: always true
    SB_TRY(parseOr());
    if (cur_.kind != Tok::End) return error(cur_.pos, "unexpected token '" + std::string(cur_.text) + "'");
    if (max_depth_ > kMaxDepth) return error(0, "expression too deeply nested");
    return {};
  }

 private:
  std::unexpected<Error> error(std::size_t pos, const std::string& why) const {
    return fail(Errc::InvalidArgument, "position " + std::to_string(pos) + ": " + why, "expression");
  }

  void emit(Expression::Op op, std::uint32_t arg, int stack_delta) {
    out_.code_.push_back({op, arg});
    depth_ += stack_delta;
    if (depth_ > static_cast<int>(max_depth_)) max_depth_ = static_cast<std::size_t>(depth_);
  }

  Status next() {
    std::size_t i = pos_;
    while (i < text_.size() && std::isspace(static_cast<unsigned char>(text_[i]))) ++i;
    cur_ = Token{};
    cur_.pos = i;
    if (i >= text_.size()) {
      cur_.kind = Tok::End;
      pos_ = i;
      return {};
    }
    char c = text_[i];
    auto two = [&](char second) { return i + 1 < text_.size() && text_[i + 1] == second; };
    auto single = [&](Tok k, std::size_t len) {
      cur_.kind = k;
      cur_.text = text_.substr(i, len);
      pos_ = i + len;
      return Status{};
    };
    switch (c) {
      case '(': return single(Tok::LParen, 1);
      case ')': return single(Tok::RParen, 1);
      case '[': return single(Tok::LBracket, 1);
      case ']': return single(Tok::RBracket, 1);
      case ',': return single(Tok::Comma, 1);
      case '=':
        if (two('=')) return single(Tok::Eq, 2);
        return single(Tok::Eq, 1);
      case '!':
        if (two('=')) return single(Tok::Ne, 2);
        return single(Tok::Not, 1);
      case '<':
        if (two('=')) return single(Tok::Le, 2);
        if (two('>')) return single(Tok::Ne, 2);
        return single(Tok::Lt, 1);
      case '>':
        if (two('=')) return single(Tok::Ge, 2);
        return single(Tok::Gt, 1);
      case '&':
        if (two('&')) return single(Tok::And, 2);
        return error(i, "expected '&&'");
      case '|':
        if (two('|')) return single(Tok::Or, 2);
        return error(i, "expected '||'");
      case '\'':
      case '"': {
        std::size_t j = i + 1;
        std::string value;
        while (j < text_.size() && text_[j] != c) {
          if (text_[j] == '\\' && j + 1 < text_.size()) ++j;
          value.push_back(text_[j]);
          ++j;
        }
        if (j >= text_.size()) return error(i, "unterminated string literal");
        cur_.kind = Tok::String;
        cur_.text = text_.substr(i, j + 1 - i);
        cur_.value = std::move(value);
        pos_ = j + 1;
        return {};
      }
      default: break;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      std::size_t j = i + 1;
      while (j < text_.size() &&
             (std::isdigit(static_cast<unsigned char>(text_[j])) || text_[j] == '.'))
        ++j;
      auto t = text_.substr(i, j - i);
      if (!toNumber(c == '+' ? t.substr(1) : t)) return error(i, "malformed number '" + std::string(t) + "'");
      cur_.kind = Tok::Number;
      cur_.text = t;
      pos_ = j;
      return {};
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      std::size_t j = i + 1;
      while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) ||
                                  text_[j] == '_' || text_[j] == '.' || text_[j] == '-'))
        ++j;
      auto t = text_.substr(i, j - i);
      cur_.text = t;
      pos_ = j;
      if (iequals(t, "AND")) cur_.kind = Tok::And;
      else if (iequals(t, "OR")) cur_.kind = Tok::Or;
      else if (iequals(t, "NOT")) cur_.kind = Tok::Not;
      else if (iequals(t, "IN")) cur_.kind = Tok::In;
      else if (iequals(t, "HAS")) cur_.kind = Tok::Has;
      else if (iequals(t, "CONTAINS")) cur_.kind = Tok::Contains;
      else cur_.kind = Tok::Ident;
      return {};
    }
    return error(i, std::string("unexpected character '") + c + "'");
  }

  Status parseOr() {
    SB_TRY(parseAnd());
    while (cur_.kind == Tok::Or) {
      SB_TRY(next());
      SB_TRY(parseAnd());
      emit(Expression::Op::Or, 0, -1);
    }
    return {};
  }

  Status parseAnd() {
    SB_TRY(parseNot());
    while (cur_.kind == Tok::And) {
      SB_TRY(next());
      SB_TRY(parseNot());
      emit(Expression::Op::And, 0, -1);
    }
    return {};
  }

  Status parseNot() {
    if (cur_.kind == Tok::Not) {
      SB_TRY(next());
      SB_TRY(parseNot());
      emit(Expression::Op::Not, 0, 0);
      return {};
    }
    return parseComparison();
  }

  Status parseComparison() {
    if (cur_.kind == Tok::LParen) {
      std::size_t open = cur_.pos;
      SB_TRY(next());
      if (cur_.kind == Tok::RParen) return error(cur_.pos, "empty parentheses");
      SB_TRY(parseOr());
      if (cur_.kind != Tok::RParen) return error(cur_.kind == Tok::End ? open : cur_.pos,
                                                 cur_.kind == Tok::End ? "unclosed '('" : "expected ')'");
      return next();
    }
    std::size_t left_pos = cur_.pos;
    bool left_is_skill_set = false;
    SB_TRY(parseOperand(&left_is_skill_set));
    Tok op = cur_.kind;
    std::size_t op_pos = cur_.pos;
    switch (op) {
      case Tok::Eq: case Tok::Ne: case Tok::Lt: case Tok::Le: case Tok::Gt: case Tok::Ge: {
        if (left_is_skill_set) return error(left_pos, "'skills' alone can only be used with HAS or CONTAINS");
        SB_TRY(next());
        bool r_set = false;
        std::size_t rpos = cur_.pos;
        SB_TRY(parseOperand(&r_set));
        if (r_set) return error(rpos, "'skills' alone can only be used with HAS or CONTAINS");
        static constexpr std::array kOps{Expression::Op::Eq, Expression::Op::Ne, Expression::Op::Lt,
                                         Expression::Op::Le, Expression::Op::Gt, Expression::Op::Ge};
        emit(kOps[static_cast<int>(op) - static_cast<int>(Tok::Eq)], 0, -1);
        return {};
      }
      case Tok::In: {
        if (left_is_skill_set) return error(left_pos, "'skills' alone can only be used with HAS or CONTAINS");
        SB_TRY(next());
        if (cur_.kind == Tok::LBracket) {
          SB_TRY(parseList());
        } else {
          bool r_set = false;
          std::size_t rpos = cur_.pos;
          SB_TRY(parseOperand(&r_set));
          if (r_set) return error(rpos, "IN needs a list or an attribute");
        }
        emit(Expression::Op::In, 0, -1);
        return {};
      }
      case Tok::Has:
      case Tok::Contains: {
        SB_TRY(next());
        bool r_set = false;
        std::size_t rpos = cur_.pos;
        SB_TRY(parseOperand(&r_set));
        if (r_set) return error(rpos, "right side of " + std::string(op == Tok::Has ? "HAS" : "CONTAINS") +
                                          " must be a value");
        emit(op == Tok::Has ? Expression::Op::Has : Expression::Op::Contains, 0, -1);
        return {};
      }
      case Tok::End:
        return error(op_pos, "expected a comparison operator after operand, found end of expression");
      default:
        return error(op_pos, "expected a comparison operator, found '" + std::string(cur_.text) + "'");
    }
  }

  Status parseList() {
    std::size_t open = cur_.pos;
    SB_TRY(next());
    std::vector<std::uint32_t> items;
    while (cur_.kind != Tok::RBracket) {
      if (cur_.kind == Tok::String) {
        items.push_back(addString(cur_.value));
      } else if (cur_.kind == Tok::Number) {
        items.push_back(addString(std::string(cur_.text)));
      } else if (cur_.kind == Tok::End) {
        return error(open, "unclosed '['");
      } else {
        return error(cur_.pos, "list items must be string or number literals");
      }
      SB_TRY(next());
      if (cur_.kind == Tok::Comma) {
        SB_TRY(next());
        if (cur_.kind == Tok::RBracket) return error(cur_.pos, "expected a list item after ','");
      } else if (cur_.kind != Tok::RBracket) {
        return error(cur_.pos, "expected ',' or ']' in list");
      }
    }
    out_.lists_.push_back(std::move(items));
    emit(Expression::Op::PushList, static_cast<std::uint32_t>(out_.lists_.size() - 1), 1);
    return next();
  }

  std::uint32_t addString(std::string s) {
    out_.strings_.push_back(std::move(s));
    return static_cast<std::uint32_t>(out_.strings_.size() - 1);
  }

  Status parseOperand(bool* is_skill_set) {
    *is_skill_set = false;
    switch (cur_.kind) {
      case Tok::String:
        emit(Expression::Op::PushString, addString(cur_.value), 1);
        return next();
      case Tok::Number: {
        auto t = cur_.text;
        if (!t.empty() && t.front() == '+') t.remove_prefix(1);
        out_.numbers_.push_back(*toNumber(t));
        emit(Expression::Op::PushNumber, static_cast<std::uint32_t>(out_.numbers_.size() - 1), 1);
        return next();
      }
      case Tok::Ident: {
        std::string_view id = cur_.text;
        std::size_t pos = cur_.pos;
        if (id.back() == '.' || id.find("..") != std::string_view::npos)
          return error(pos, "malformed name '" + std::string(id) + "'");
        auto dot = id.find('.');
        std::string_view head = dot == std::string_view::npos ? id : id.substr(0, dot);
        std::string_view rest = dot == std::string_view::npos ? std::string_view{} : id.substr(dot + 1);
        if (head == "skills") {
          if (rest.empty()) {
            *is_skill_set = true;
            emit(Expression::Op::PushSkillSet, 0, 1);
          } else {
            emit(Expression::Op::PushSkill, names_.intern(rest), 1);
          }
        } else if (head == "interaction" || head == "task") {
          if (rest.empty()) return error(pos, "expected '" + std::string(head) + ".<attribute>'");
          out_.reads_interaction_ = true;
          emit(Expression::Op::PushInteractionAttr, names_.intern(rest), 1);
        } else if (head == "agent" || head == "worker") {
          if (rest.empty()) return error(pos, "expected '" + std::string(head) + ".<attribute>'");
          emit(Expression::Op::PushAgentAttr, names_.intern(rest), 1);
        } else {
          emit(Expression::Op::PushAgentAttr, names_.intern(id), 1);
        }
        return next();
      }
      case Tok::End:
        return error(cur_.pos, "expected an operand, found end of expression");
      default:
        return error(cur_.pos, "expected an operand, found '" + std::string(cur_.text) + "'");
    }
  }

  std::string_view text_;
  NameTable& names_;
  Expression& out_;
  std::size_t pos_ = 0;
  Token cur_;
  int depth_ = 0;
  std::size_t max_depth_ = 0;
};

Result<Expression> Expression::parse(std::string_view text, NameTable& names) {
  Expression e;
  e.text_ = std::string(text);
  ExpressionParser p(e.text_, names, e);
  SB_TRY(p.run());
  return e;
}

std::optional<std::size_t> Expression::errorPosition(const Error& e) {
  constexpr std::string_view kPrefix = "position ";
  std::string_view m = e.message;
  if (m.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  m.remove_prefix(kPrefix.size());
  std::size_t v = 0;
  auto [p, ec] = std::from_chars(m.data(), m.data() + m.size(), v);
  if (ec != std::errc() || p == m.data()) return std::nullopt;
  return v;
}

namespace {

enum class VKind : std::uint8_t { Missing, Str, Num, Bool, List, SkillSet };
struct Val {
  VKind kind = VKind::Missing;
  bool b = false;
  double num = 0;
  std::string_view str;
  std::uint32_t list = 0;
};

std::optional<double> numeric(const Val& v) {
  if (v.kind == VKind::Num) return v.num;
  if (v.kind == VKind::Str) return toNumber(v.str);
  return std::nullopt;
}

// -1, 0, 1; both numeric -> numeric order, else byte order of the text.
int compare(const Val& a, const Val& b) {
  auto na = numeric(a);
  auto nb = numeric(b);
  if (na && nb) return *na < *nb ? -1 : (*na > *nb ? 1 : 0);
  char buf_a[32];
  char buf_b[32];
  std::string_view sa = a.str;
  std::string_view sb = b.str;
  if (a.kind == VKind::Num) {
    auto r = std::to_chars(buf_a, buf_a + sizeof buf_a, a.num);
    sa = std::string_view(buf_a, static_cast<std::size_t>(r.ptr - buf_a));
  }
  if (b.kind == VKind::Num) {
    auto r = std::to_chars(buf_b, buf_b + sizeof buf_b, b.num);
    sb = std::string_view(buf_b, static_cast<std::size_t>(r.ptr - buf_b));
  }
  int c = sa.compare(sb);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool scalar(const Val& v) { return v.kind == VKind::Str || v.kind == VKind::Num; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Calls f(item) for each comma-separated item of s; stops when f returns true.
template <typename F>
bool anyItem(std::string_view s, F&& f) {
  while (true) {
    auto comma = s.find(',');
    if (f(trim(s.substr(0, comma)))) return true;
    if (comma == std::string_view::npos) return false;
    s.remove_prefix(comma + 1);
  }
}

}  // namespace

bool Expression::evaluate(const AttributeSource& src) const {
  if (code_.empty()) return true;
  std::array<Val, kMaxDepth + 1> st;
  std::size_t sp = 0;
  auto strVal = [](std::string_view s) {
    Val v;
    v.kind = VKind::Str;
    v.str = s;
    return v;
  };
  auto boolVal = [](bool b) {
    Val v;
    v.kind = VKind::Bool;
    v.b = b;
    return v;
  };
  for (const Instr& in : code_) {
    switch (in.op) {
      case Op::PushAgentAttr: {
        auto a = src.agentAttribute(in.arg);
        st[sp++] = a ? strVal(*a) : Val{};
        break;
      }
      case Op::PushInteractionAttr: {
        auto a = src.interactionAttribute(in.arg);
        st[sp++] = a ? strVal(*a) : Val{};
        break;
      }
      case Op::PushSkill: {
        int lvl = src.agentSkill(in.arg);
        Val v;
        if (lvl > 0) {
          v.kind = VKind::Num;
          v.num = lvl;
        }
        st[sp++] = v;
        break;
      }
      case Op::PushSkillSet: {
        Val v;
        v.kind = VKind::SkillSet;
        st[sp++] = v;
        break;
      }
      case Op::PushString: st[sp++] = strVal(strings_[in.arg]); break;
      case Op::PushNumber: {
        Val v;
        v.kind = VKind::Num;
        v.num = numbers_[in.arg];
        st[sp++] = v;
        break;
      }
      case Op::PushList: {
        Val v;
        v.kind = VKind::List;
        v.list = in.arg;
        st[sp++] = v;
        break;
      }
      case Op::Eq: case Op::Ne: case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: {
        Val r = st[--sp];
        Val l = st[sp - 1];
        bool res = false;
        // A missing attribute makes every comparison false (TaskRouter semantics).
        if (scalar(l) && scalar(r)) {
          int c = compare(l, r);
          switch (in.op) {
            case Op::Eq: res = c == 0; break;
            case Op::Ne: res = c != 0; break;
            case Op::Lt: res = c < 0; break;
            case Op::Le: res = c <= 0; break;
            case Op::Gt: res = c > 0; break;
            default: res = c >= 0; break;
          }
        }
        st[sp - 1] = boolVal(res);
        break;
      }
      case Op::In: {
        Val r = st[--sp];
        Val l = st[sp - 1];
        bool res = false;
        if (scalar(l)) {
          if (r.kind == VKind::List) {
            for (std::uint32_t idx : lists_[r.list]) {
              if (compare(l, strVal(strings_[idx])) == 0) {
                res = true;
                break;
              }
            }
          } else if (r.kind == VKind::Str) {
            res = anyItem(r.str, [&](std::string_view item) { return compare(l, strVal(item)) == 0; });
          }
        }
        st[sp - 1] = boolVal(res);
        break;
      }
      case Op::Has: case Op::Contains: {
        Val r = st[--sp];
        Val l = st[sp - 1];
        bool res = false;
        if (scalar(r)) {
          char buf[32];
          std::string_view needle = r.str;
          if (r.kind == VKind::Num) {
            auto p = std::to_chars(buf, buf + sizeof buf, r.num);
            needle = std::string_view(buf, static_cast<std::size_t>(p.ptr - buf));
          }
          if (l.kind == VKind::SkillSet) {
            // Name lookup happens through the source's interned skills: the source resolves
            // unknown names to 0.
            res = src.agentSkillByName(needle) > 0;
          } else if (l.kind == VKind::Str) {
            if (in.op == Op::Has) {
              res = anyItem(l.str, [&](std::string_view item) { return item == needle; });
            } else {
              res = l.str.find(needle) != std::string_view::npos;
            }
          }
        }
        st[sp - 1] = boolVal(res);
        break;
      }
      case Op::And: {
        bool r = st[--sp].b;
        st[sp - 1] = boolVal(st[sp - 1].b && r);
        break;
      }
      case Op::Or: {
        bool r = st[--sp].b;
        st[sp - 1] = boolVal(st[sp - 1].b || r);
        break;
      }
      case Op::Not: st[sp - 1] = boolVal(!st[sp - 1].b); break;
    }
  }
  return sp == 1 && st[0].kind == VKind::Bool && st[0].b;
}

}  // namespace sb::routing
