using System.Text;

namespace Octet.Generator.Emit
{
    /// <summary>Turning plan names (ONNX tensor and node names: any string) into C# identifiers.</summary>
    public static class Identifiers
    {
        /// <summary>
        /// Letters, digits and '_' are kept; anything else becomes '_'; a leading digit gets a '_' prefix.
        /// Different names can sanitize alike: callers that need uniqueness add an index.
        /// </summary>
        public static string Sanitize(string name)
        {
            var text = new StringBuilder(name.Length + 1);
            foreach (char c in name) text.Append(char.IsLetterOrDigit(c) && c < 128 || c == '_' ? c : '_');
            if (text.Length == 0 || char.IsDigit(text[0])) text.Insert(0, '_');
            return text.ToString();
        }
    }
}
