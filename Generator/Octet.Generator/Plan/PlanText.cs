using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Octet.Generator.Plan
{
    /// <summary>
    /// The lexical rules of the plan format (docs/model-plan.md), shared by <see cref="PlanWriter"/> and
    /// <see cref="PlanParser"/> so that what one writes the other reads: name quoting, number spelling, tokens.
    /// </summary>
    public static class PlanText
    {
        /// <summary>Element types a plan may name, with their sizes in bytes.</summary>
        public static int ElementSize(string elementType)
        {
            switch (elementType)
            {
                case "float32": return 4;
                case "int8": return 1;
                case "uint8": return 1;
                case "int16": return 2;
                case "int32": return 4;
                case "int64": return 8;
                default: return 0;
            }
        }

        public static bool IsElementType(string text) => ElementSize(text) > 0;

        public const string RowMajor = "rowmajor";
        public const string Nhwc = "NHWC";
        public const string Ohwi = "OHWI";
        public const string Nk = "NK";

        public static bool IsLayout(string text) => text == RowMajor || text == Nhwc || text == Ohwi || text == Nk;

        /// <summary>True when <paramref name="name"/> can be written without quotes: <c>[A-Za-z0-9_.:/-]+</c>.</summary>
        public static bool IsBare(string name)
        {
            if (name.Length == 0) return false;
            foreach (char c in name)
            {
                bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
                if (!ok) return false;
            }
            return true;
        }

        /// <summary>A name as the plan spells it: bare when safe, else a JSON string literal.</summary>
        public static string Name(string name) => IsBare(name) ? name : Quote(name);

        /// <summary>
        /// A JSON string literal. Control characters, DEL and unpaired surrogates are escaped so a plan line never
        /// breaks and the file stays valid UTF-8; everything else (including non-ASCII) is written as is.
        /// </summary>
        public static string Quote(string text)
        {
            var quoted = new StringBuilder(text.Length + 2);
            quoted.Append('"');
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                switch (c)
                {
                    case '"': quoted.Append("\\\""); break;
                    case '\\': quoted.Append("\\\\"); break;
                    case '\n': quoted.Append("\\n"); break;
                    case '\r': quoted.Append("\\r"); break;
                    case '\t': quoted.Append("\\t"); break;
                    default:
                        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                        {
                            quoted.Append(c).Append(text[i + 1]);
                            i++;
                        }
                        else if (c < 0x20 || c == 0x7F || char.IsSurrogate(c))
                        {
                            quoted.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        }
                        else quoted.Append(c);
                        break;
                }
            }
            return quoted.Append('"').ToString();
        }

        /// <summary>The shortest text that parses back to the same float32 (invariant culture; NaN, Infinity, -Infinity).</summary>
        public static string Float(float value)
        {
            if (float.IsNaN(value)) return "NaN";
            if (float.IsPositiveInfinity(value)) return "Infinity";
            if (float.IsNegativeInfinity(value)) return "-Infinity";
            return value.ToString("R", CultureInfo.InvariantCulture);
        }

        public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

        public static bool TryParseFloat(string text, out float value)
        {
            switch (text)
            {
                case "NaN": value = float.NaN; return true;
                case "Infinity": value = float.PositiveInfinity; return true;
                case "-Infinity": value = float.NegativeInfinity; return true;
            }
            // Letters other than the exponent would let "Infinity"-like spellings in through culture data.
            foreach (char c in text)
            {
                bool ok = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
                if (!ok) { value = 0; return false; }
            }
            return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }

        public static bool TryParseInt(string text, out long value)
        {
            value = 0;
            if (text.Length == 0) return false;
            int start = text[0] == '-' ? 1 : 0;
            if (start == text.Length) return false;
            for (int i = start; i < text.Length; i++) if (text[i] < '0' || text[i] > '9') return false;
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
        }

        /// <summary>A shape as the plan spells it: <c>[1,8,28,28]</c>, a scalar as <c>[]</c>.</summary>
        public static string Shape(IReadOnlyList<int> shape)
        {
            var text = new StringBuilder("[");
            for (int i = 0; i < shape.Count; i++)
            {
                if (i > 0) text.Append(',');
                text.Append(shape[i].ToString(CultureInfo.InvariantCulture));
            }
            return text.Append(']').ToString();
        }

        public static bool TryParseShape(string text, out int[] shape)
        {
            shape = Array.Empty<int>();
            if (text.Length < 2 || text[0] != '[' || text[text.Length - 1] != ']') return false;
            string inner = text.Substring(1, text.Length - 2);
            if (inner.Length == 0) return true;
            string[] parts = inner.Split(',');
            var dims = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!TryParseInt(parts[i], out long dim) || dim < 0 || dim > int.MaxValue) return false;
                dims[i] = (int)dim;
            }
            shape = dims;
            return true;
        }

        /// <summary>
        /// Splits one plan line into tokens: runs of non-space characters, or JSON string literals (decoded).
        /// Returns false with <paramref name="error"/> set when a string literal is malformed.
        /// </summary>
        public static bool TryTokenize(string line, List<PlanToken> tokens, out string error)
        {
            tokens.Clear();
            error = "";
            int i = 0;
            while (i < line.Length)
            {
                if (line[i] == ' ') { i++; continue; }
                if (line[i] == '"')
                {
                    if (!TryReadString(line, ref i, out string value, out error)) return false;
                    if (i < line.Length && line[i] != ' ')
                    {
                        error = $"a space must follow the string literal at column {i + 1}";
                        return false;
                    }
                    tokens.Add(new PlanToken(value, quoted: true));
                    continue;
                }
                int start = i;
                while (i < line.Length && line[i] != ' ')
                {
                    if (line[i] == '"')
                    {
                        error = $"unexpected '\"' inside a bare token at column {i + 1}";
                        return false;
                    }
                    i++;
                }
                tokens.Add(new PlanToken(line.Substring(start, i - start), quoted: false));
            }
            return true;
        }

        private static bool TryReadString(string line, ref int i, out string value, out string error)
        {
            int start = i;
            var text = new StringBuilder();
            i++; // opening quote
            while (i < line.Length)
            {
                char c = line[i];
                if (c == '"')
                {
                    i++;
                    value = text.ToString();
                    error = "";
                    return true;
                }
                if (c == '\\')
                {
                    if (i + 1 >= line.Length) break;
                    char e = line[i + 1];
                    switch (e)
                    {
                        case '"': text.Append('"'); i += 2; continue;
                        case '\\': text.Append('\\'); i += 2; continue;
                        case '/': text.Append('/'); i += 2; continue;
                        case 'b': text.Append('\b'); i += 2; continue;
                        case 'f': text.Append('\f'); i += 2; continue;
                        case 'n': text.Append('\n'); i += 2; continue;
                        case 'r': text.Append('\r'); i += 2; continue;
                        case 't': text.Append('\t'); i += 2; continue;
                        case 'u':
                            if (i + 6 <= line.Length && int.TryParse(line.Substring(i + 2, 4), NumberStyles.AllowHexSpecifier,
                                    CultureInfo.InvariantCulture, out int code))
                            {
                                text.Append((char)code);
                                i += 6;
                                continue;
                            }
                            value = "";
                            error = $"bad \\u escape at column {i + 1}";
                            return false;
                        default:
                            value = "";
                            error = $"unknown escape '\\{e}' at column {i + 1}";
                            return false;
                    }
                }
                if (c < 0x20)
                {
                    value = "";
                    error = $"control character inside a string literal at column {i + 1}";
                    return false;
                }
                text.Append(c);
                i++;
            }
            value = "";
            error = $"unterminated string literal starting at column {start + 1}";
            return false;
        }
    }

    /// <summary>One token of a plan line: its text (decoded, for string literals) and whether it was quoted.</summary>
    public readonly struct PlanToken
    {
        public PlanToken(string text, bool quoted)
        {
            Text = text;
            Quoted = quoted;
        }

        public string Text { get; }

        /// <summary>Quoted tokens are names only: a quoted "op" is the name op, never the keyword.</summary>
        public bool Quoted { get; }

        public override string ToString() => Quoted ? PlanText.Quote(Text) : Text;
    }
}
