using System.Globalization;
using System.Linq;
using System.Text;
using Octet.Generator.Plan;

namespace Octet.Generator.Emit
{
    /// <summary>Spelling plan values as C# source: literals, comments and XML doc text that cannot break the file.</summary>
    public static class Literals
    {
        /// <summary>A C# string literal (regular, with escapes) for any string.</summary>
        public static string String(string value)
        {
            var text = new StringBuilder(value.Length + 2).Append('"');
            foreach (char c in value)
            {
                switch (c)
                {
                    case '"': text.Append("\\\""); break;
                    case '\\': text.Append("\\\\"); break;
                    case '\n': text.Append("\\n"); break;
                    case '\r': text.Append("\\r"); break;
                    case '\t': text.Append("\\t"); break;
                    default:
                        if (char.IsControl(c) || char.IsSurrogate(c) || c == '\u2028' || c == '\u2029' || c == '\u0085')
                            text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else text.Append(c);
                        break;
                }
            }
            return text.Append('"').ToString();
        }

        /// <summary>
        /// Text safe inside a <c>//</c> comment: line breaks and other control characters become escapes, so a
        /// hostile tensor name cannot end the comment and inject code.
        /// </summary>
        public static string Comment(string value)
        {
            var text = new StringBuilder(value.Length);
            foreach (char c in value)
            {
                if (char.IsControl(c) || char.IsSurrogate(c) || c == '\u2028' || c == '\u2029' || c == '\u0085')
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else text.Append(c);
            }
            return text.ToString();
        }

        /// <summary>A name quoted for a comment: <c>"conv 1"</c>.</summary>
        public static string Quoted(string name) => "\"" + Comment(name) + "\"";

        /// <summary>Text safe inside an XML doc comment: <see cref="Comment"/> plus XML escapes.</summary>
        public static string Xml(string value) =>
            Comment(value).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        /// <summary>A float32 literal that reads back as the same float (shortest round-trip digits), or the named constant for NaN and the infinities.</summary>
        public static string Float(float value)
        {
            if (float.IsNaN(value)) return "float.NaN";
            if (float.IsPositiveInfinity(value)) return "float.PositiveInfinity";
            if (float.IsNegativeInfinity(value)) return "float.NegativeInfinity";
            // "R" can give digits that do not read back as the same float32 on some hosts; G9 always does.
            string text = value.ToString("R", CultureInfo.InvariantCulture);
            if (float.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) != value)
                text = value.ToString("G9", CultureInfo.InvariantCulture);
            if (value == 0 && 1f / value < 0) text = "-0";   // keep the sign of negative zero
            return text + "f";
        }

        /// <summary>A float32 literal from a plan's float text (which round-trips by construction).</summary>
        public static string Float(string planText) => Float(float.Parse(planText, NumberStyles.Float, CultureInfo.InvariantCulture));

        /// <summary>An element of an inline constant as a C# literal of its element type.</summary>
        public static string Element(string elementType, string planText) =>
            elementType == "float32" ? Float(planText) : long.Parse(planText, NumberStyles.Integer, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);

        /// <summary>A collection expression of ints: <c>[1, 8, 28, 28]</c>.</summary>
        public static string Ints(System.Collections.Generic.IEnumerable<int> values) =>
            "[" + string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]";

        public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

        /// <summary>A shape as the plan spells it: <c>[1,8,28,28]</c>.</summary>
        public static string Shape(EquatableArray<int> shape) =>
            "[" + string.Join(",", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
    }
}
