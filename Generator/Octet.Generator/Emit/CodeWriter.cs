using System.Text;

namespace Octet.Generator.Emit
{
    /// <summary>Builds C# source line by line with four-space indentation and <c>\n</c> line ends (so output is the same on every OS).</summary>
    public sealed class CodeWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _depth;

        public CodeWriter()
        {
        }

        /// <summary>A writer that starts indented <paramref name="depth"/> levels (a method body written apart from its class).</summary>
        public CodeWriter(int depth) => _depth = depth;

        public int Depth => _depth;

        /// <summary>Appends what <paramref name="other"/> wrote, as is (it carries its own indentation).</summary>
        public CodeWriter Append(CodeWriter other)
        {
            _text.Append(other._text);
            return this;
        }

        public CodeWriter Line(string line = "")
        {
            if (line.Length > 0) _text.Append(' ', _depth * 4).Append(line);
            _text.Append('\n');
            return this;
        }

        /// <summary>Writes <paramref name="header"/> and <c>{</c>, and indents until <see cref="Close"/>.</summary>
        public CodeWriter Open(string header)
        {
            Line(header);
            Line("{");
            _depth++;
            return this;
        }

        public CodeWriter Close(string suffix = "")
        {
            _depth--;
            return Line("}" + suffix);
        }

        public override string ToString() => _text.ToString();
    }
}
