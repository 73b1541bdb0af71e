"""swsim: a simulator of the Sichuan-Chongqing international trade single window."""

__version__ = "0.1.0"
