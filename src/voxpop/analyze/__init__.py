"""Offline text analysis: embeddings, sentiment, aspects, language, urgency, topics."""
