"""Recurrent layers: the time loop, the cells and the layers made from them.

``base.py`` holds the loop (forward and backward through time) and ``RNN``;
each family has its file, its cell's step and the step's backward side by side.
"""

from kerasite.layers.rnn.base import RNN, RNNCell, StackedRNNCells
from kerasite.layers.rnn.bidirectional import Bidirectional
from kerasite.layers.rnn.gru import GRU, GRUCell
from kerasite.layers.rnn.lstm import LSTM, LSTMCell
from kerasite.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell
from kerasite.layers.rnn.time_distributed import TimeDistributed

__all__ = ["RNN", "RNNCell", "StackedRNNCells", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell",
           "GRU", "GRUCell", "Bidirectional", "TimeDistributed"]
