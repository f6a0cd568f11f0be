"""The Streamlit app: ``streamlit run ui/app.py``. Pages call :mod:`icp`; they hold no grading logic."""
