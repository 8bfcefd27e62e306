namespace Octet.Runtime;
